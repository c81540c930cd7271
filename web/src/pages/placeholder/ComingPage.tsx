// A page of the console that is not built yet, named so the navigation stays whole.
export function ComingPage({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p>This page is not built yet.</p>
    </section>
  );
}
