// Routes of the Studio (served under /studio/), behind the sign-in.
import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter, RouterProvider } from "react-router";
import { AppShell } from "./components/AppShell";
import { SessionProvider, useSessionQuery } from "./components/SessionContext";
import { ErrorNotice } from "./components/ErrorNotice";
import { SignInPage } from "./pages/signin/SignInPage";
import { WorkflowListPage } from "./pages/workflows/WorkflowListPage";
import { WizardPage } from "./pages/wizard/WizardPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { RunListPage } from "./pages/runs/RunListPage";
import { RunPage } from "./pages/runs/RunPage";
import { EventListPage } from "./pages/events/EventListPage";
import { OutboxPage } from "./pages/outbox/OutboxPage";
import { GovernancePage } from "./pages/governance/GovernancePage";
import { DashboardPage } from "./pages/dashboard/DashboardPage";

// The canvas brings the graph, form and code editor libraries: loaded when first opened.
const EditorPage = lazy(() => import("./pages/editor/EditorPage").then((m) => ({ default: m.EditorPage })));
const NewWorkflowPage = lazy(() => import("./pages/editor/EditorPage").then((m) => ({ default: m.NewWorkflowPage })));
const loading = (page: ReactNode) => <Suspense fallback={<p>Loading…</p>}>{page}</Suspense>;

const router = createBrowserRouter(
  [
    {
      path: "/",
      element: <AppShell />,
      children: [
        { index: true, element: <WorkflowListPage /> },
        { path: "wizard", element: <WizardPage /> },
        { path: "wizard/canvas", element: loading(<NewWorkflowPage />) },
        { path: "workflows/:id", element: loading(<EditorPage />) },
        { path: "runs", element: <RunListPage /> },
        { path: "runs/:id", element: <RunPage /> },
        { path: "events", element: <EventListPage /> },
        { path: "outbox", element: <OutboxPage /> },
        { path: "governance/*", element: <GovernancePage /> },
        { path: "dashboard", element: <DashboardPage /> },
        { path: "*", element: <NotFoundPage /> },
      ],
    },
  ],
  { basename: "/studio" },
);

export function App() {
  const session = useSessionQuery();
  if (session.isPending) return <p className="loading">Loading…</p>;
  if (session.error) return <ErrorNotice error={session.error} />;
  if (!session.data) return <SignInPage />;
  return (
    <SessionProvider session={session.data}>
      <RouterProvider router={router} />
    </SessionProvider>
  );
}
