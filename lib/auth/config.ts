import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { users } from "@/db/schema";
import { getDb } from "@/db/client";
import { ForbiddenError } from "../errors";
import { ensureAuthSecret } from "./local-secret";
import { FirstSignInCodeRequired, signInUser, UnverifiedEmailError } from "../users/sign-in-user";
import { SIGN_IN_CODE_SETTING, signInCodeMatches } from "@/scripts/lib/sign-in-code.mjs";
import { isLoopbackRequest } from "./loopback";
import { readAuthSettings } from "./settings";

class NotLoopback extends CredentialsSignin {
  override code = "not_loopback";
}
class InvalidLocalInput extends CredentialsSignin {
  override code = "invalid_input";
}
class AccountDisabled extends CredentialsSignin {
  override code = "account_disabled";
}
class SignInCodeNeeded extends CredentialsSignin {
  override code = "sign_in_code";
}

const LocalCredentials = z.object({
  email: z.email().trim().toLowerCase().max(254),
  name: z.string().trim().max(100).optional(),
});

const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

function buildConfig(): NextAuthConfig {
  ensureAuthSecret();
  const settings = readAuthSettings();
  const providers: NextAuthConfig["providers"] = [];
  if (settings.oidc) {
    const { issuer, clientId, clientSecret, name, scopes } = settings.oidc;
    providers.push({
      id: "oidc",
      name,
      type: "oidc",
      issuer,
      clientId,
      clientSecret,
      checks: ["pkce", "state"],
      authorization: { params: { scope: scopes } },
    });
  } else {
    providers.push(
      Credentials({
        id: "local",
        name: "Local sign-in",
        credentials: { email: { label: "E-mail", type: "email" }, name: { label: "Name" }, code: { label: "Sign-in code" } },
        async authorize(credentials, request) {
          if (!isLoopbackRequest(request.headers)) throw new NotLoopback();
          const parsed = LocalCredentials.safeParse({ email: credentials.email, name: credentials.name || undefined });
          if (!parsed.success) throw new InvalidLocalInput();
          try {
            const user = await signInUser(
              await getDb(),
              {
                source: "local",
                externalId: null,
                email: parsed.data.email,
                emailVerified: false,
                name: parsed.data.name ?? null,
                groups: [],
                firstAdminCode: signInCodeMatches(credentials.code, process.env[SIGN_IN_CODE_SETTING]),
              },
              settings.policy,
            );
            return { id: user.id, email: user.email, name: user.name };
          } catch (error) {
            if (error instanceof FirstSignInCodeRequired) throw new SignInCodeNeeded();
            if (error instanceof ForbiddenError) throw new AccountDisabled();
            throw error;
          }
        },
      }),
    );
  }

  return {
    providers,
    trustHost: process.env.AUTH_TRUST_HOST ? /^(1|true)$/i.test(process.env.AUTH_TRUST_HOST) : true,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    logger: {
      // A refused local sign-in is an expected outcome shown to the user, not a server error.
      error(error) {
        if (error instanceof CredentialsSignin || (error as { type?: string }).type === "CredentialsSignin") return;
        console.error(`[auth] ${error.name}: ${error.message}`, error.cause ?? "");
      },
    },
    callbacks: {
      async signIn({ account, profile }) {
        if (account?.provider !== "oidc" || !settings.oidc) return true;
        const email = typeof profile?.email === "string" ? profile.email : null;
        if (!profile?.sub || !email) return "/sign-in?error=MissingClaims";
        const rawGroups = (profile as Record<string, unknown>)[settings.oidc.groupsClaim];
        const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === "string") : [];
        try {
          await signInUser(
            await getDb(),
            {
              source: settings.oidc.issuer,
              externalId: profile.sub,
              email,
              emailVerified: profile.email_verified === true,
              name: typeof profile.name === "string" ? profile.name : null,
              groups,
            },
            settings.policy,
          );
          return true;
        } catch (error) {
          if (error instanceof UnverifiedEmailError) return "/sign-in?error=EmailNotVerified";
          if (error instanceof ForbiddenError) return "/sign-in?error=AccessDenied";
          throw error;
        }
      },
      async jwt({ token, user, account, profile }) {
        if (account?.provider === "oidc" && settings.oidc && profile?.sub) {
          const db = await getDb();
          const [row] = await db
            .select({ id: users.id })
            .from(users)
            .where(and(eq(users.authSource, settings.oidc.issuer), eq(users.externalId, profile.sub)));
          token.uid = row?.id;
        } else if (account && user?.id) {
          token.uid = user.id;
        }
        return token;
      },
      async session({ session, token }) {
        if (typeof token.uid === "string") session.user.id = token.uid;
        return session;
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => buildConfig());
