// The new-workflow wizard (templates and trigger choice come with the canvas).
export function WizardPage() {
  return (
    <section>
      <h1>New workflow</h1>
      <p>Start from a blank workflow or a template.</p>
    </section>
  );
}
