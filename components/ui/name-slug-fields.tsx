"use client";

import { useEffect, useRef, useState } from "react";
import { slugify } from "@core/naming/slug";
import { Field, Input } from "./field";

/**
 * A name and its slug: the slug fills in from the name as the person types, until they edit the slug
 * themselves. Both are uncontrolled to the form (they reset with it).
 */
export function NameSlugFields({
  defaultName,
  defaultSlug,
  namePlaceholder,
  slugHint,
}: {
  defaultName?: string;
  defaultSlug?: string;
  namePlaceholder?: string;
  slugHint: string;
}) {
  const [slug, setSlug] = useState(defaultSlug ?? "");
  const [touched, setTouched] = useState(Boolean(defaultSlug));
  const slugInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // After a successful save the form resets: start over from an empty name.
    const form = slugInput.current?.form;
    if (!form) return;
    const reset = () => {
      setSlug(defaultSlug ?? "");
      setTouched(Boolean(defaultSlug));
    };
    form.addEventListener("reset", reset);
    return () => form.removeEventListener("reset", reset);
  }, [defaultSlug]);
  return (
    <>
      <Field label="Name">
        <Input name="name" required maxLength={100} placeholder={namePlaceholder} defaultValue={defaultName} onChange={(e) => !touched && setSlug(slugify(e.target.value))} />
      </Field>
      <Field label="Slug" hint={slugHint}>
        <Input
          ref={slugInput}
          name="slug"
          required
          value={slug}
          onChange={(e) => {
            setTouched(true);
            setSlug(e.target.value);
          }}
          pattern="[a-z0-9]+(-[a-z0-9]+)*"
          maxLength={40}
        />
      </Field>
    </>
  );
}
