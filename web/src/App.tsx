// Routes of the Studio (served under /studio/), behind the sign-in.
import { createBrowserRouter, RouterProvider } from "react-router";
import { AppShell } from "./components/AppShell";
import { SessionProvider, useSessionQuery } from "./components/SessionContext";
import { ErrorNotice } from "./components/ErrorNotice";
import { SignInPage } from "./pages/signin/SignInPage";
import { WorkflowListPage } from "./pages/workflows/WorkflowListPage";
import { EditorPage } from "./pages/editor/EditorPage";
import { WizardPage } from "./pages/wizard/WizardPage";
import { ComingPage } from "./pages/placeholder/ComingPage";

const router = createBrowserRouter(
  [
    {
      path: "/",
      element: <AppShell />,
      children: [
        { index: true, element: <WorkflowListPage /> },
        { path: "wizard", element: <WizardPage /> },
        { path: "workflows/:id", element: <EditorPage /> },
        { path: "runs", element: <ComingPage title="Runs" /> },
        { path: "runs/:id", element: <ComingPage title="Run" /> },
        { path: "governance", element: <ComingPage title="Governance" /> },
        { path: "dashboard", element: <ComingPage title="Dashboard" /> },
        { path: "*", element: <ComingPage title="Not found" /> },
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
