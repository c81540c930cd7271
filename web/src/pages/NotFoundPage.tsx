import { Link } from "react-router";

// Any console address that names no page: say so, and offer the way back.
export function NotFoundPage() {
  return (
    <section>
      <h1>No such page</h1>
      <p>
        Nothing in the console lives at this address. <Link to="/">Back to the workflows</Link>
      </p>
    </section>
  );
}
