// One workflow: its document (the canvas comes next).
import { useParams } from "react-router";
import { useWorkflow } from "../../api/workflows";
import { ErrorNotice } from "../../components/ErrorNotice";

export function EditorPage() {
  const { id = "" } = useParams();
  const workflow = useWorkflow(id);
  return (
    <section>
      <h1>{workflow.data?.name ?? id}</h1>
      <ErrorNotice error={workflow.error} />
      {workflow.data && <pre className="json">{JSON.stringify(workflow.data.document, null, 2)}</pre>}
    </section>
  );
}
