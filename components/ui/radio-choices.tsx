/** One choice among a few, each with what it means: a radio list (uncontrolled; submits `name`). */
export function RadioChoices({ name, legend, choices, value, testId }: { name: string; legend: string; choices: readonly (readonly [string, string, string])[]; value: string; testId?: string }) {
  return (
    <fieldset className="space-y-1.5" data-testid={testId}>
      <legend className="sr-only">{legend}</legend>
      {choices.map(([choice, label, help]) => (
        <label key={choice} className="flex items-start gap-2">
          <input type="radio" name={name} value={choice} defaultChecked={choice === value} className="mt-1" />
          <span>
            <span className="font-medium">{label}</span> <span className="text-xs text-zinc-500">{help}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
