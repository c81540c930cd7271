// The Visual Studio: palette, canvas and inspector over one document; save, publish, versions.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { useConnectors } from "../../api/connectors";
import { saveOutcome, saveWorkflow, workflowKeys, type PublishDecision, type VersionRead, type WorkflowRead } from "../../api/workflows";
import { useSession } from "../../components/SessionContext";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { ReadOnlyNote } from "./ReadOnlyNote";
import { WorkflowCanvas } from "../../components/canvas/WorkflowCanvas";
import type { StepState } from "../../components/canvas/nodeData";
import { buildPalette, type PaletteItem } from "../../workflow/catalogue";
import { allActions, type Action, type DocumentHead, type Position, type WorkflowDocument } from "../../workflow/document";
import { clearPositions, insertAfterNode, moveAction, removeAction, replaceFields, replaceHead, setPosition, withIds } from "../../workflow/edits";
import { TRIGGER_ID } from "../../workflow/graph";
import { problemsByNode } from "../../workflow/problems";
import { ActionInspector } from "./ActionInspector";
import { EditorToolbar } from "./EditorToolbar";
import { LeaveGuard } from "./LeaveGuard";
import { PendingApproval } from "./PendingApproval";
import { Palette } from "./Palette";
import { TriggerInspector } from "./TriggerInspector";
import { VersionsPanel } from "./VersionsPanel";
import { useLiveValidation } from "./useLiveValidation";
import { ValidationWarnings } from "../../components/ValidationWarnings";
import { RuleTesterPanel } from "./RuleTesterPanel";
import { TestPanel } from "./TestPanel";

type Tab = "canvas" | "rules" | "test" | "versions";
const TABS: [Tab, string][] = [["canvas", "Canvas"], ["rules", "Rule Tester"], ["test", "Test"], ["versions", "Versions"]];
// The tabs that work on the saved workflow, and the note that says so while it is not saved.
const SAVED_ONLY: readonly Tab[] = ["test", "versions"];
const UNSAVED_NOTE = "unsaved-tabs-note";

export interface WorkflowEditorProps {
  initial: WorkflowDocument;
  isNew: boolean;
  status: string;
  /** The node opened in the inspector at first (a failed run's page links to its step). */
  step?: string | undefined;
}

/** Scrolls to `pane` when it starts out of sight below the window: in a narrow window the
 * inspector sits under the canvas, and a node opened there showed nothing that moved. */
function revealBelow(pane: HTMLElement): void {
  if (pane.getBoundingClientRect().top > window.innerHeight * 0.75) pane.scrollIntoView({ block: "start" });
}

function targetOf(selected: string | null, doc: WorkflowDocument): string {
  if (selected === null) return "at the end of the workflow";
  if (selected === TRIGGER_ID) return "first, after the trigger";
  if (selected.startsWith("slot:")) return `into the empty ${selected.split("/").slice(1).join(" ")}`;
  if (selected.startsWith("join:")) return `after the join of ${selected.slice(5)}`;
  return allActions(doc).some((e) => e.action.id === selected) ? `after ${selected}` : "at the end of the workflow";
}

/** `step` when the document has a node of that id (a run's step may be gone from a newer version). */
function openedAt(doc: WorkflowDocument, step: string | undefined): string | null {
  if (step === undefined) return null;
  return step === TRIGGER_ID || allActions(doc).some((e) => e.action.id === step) ? step : null;
}

export function WorkflowEditor({ initial, isNew, status, step }: WorkflowEditorProps) {
  const { canEdit, session } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [doc, setDoc] = useState(() => withIds(initial));
  const [saved, setSaved] = useState(() => JSON.stringify(withIds(initial)));
  const [selected, setSelected] = useState<string | null>(() => openedAt(doc, step));
  const inspectorPane = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (selected !== null && inspectorPane.current) revealBelow(inspectorPane.current);
  }, [selected]);
  const [tab, setTab] = useState<Tab>("canvas");
  const [saveError, setSaveError] = useState<unknown>(null);
  const [notice, setNotice] = useState(status);
  const [busy, setBusy] = useState(false);
  const [trace, setTrace] = useState<Map<string, StepState> | undefined>(undefined);
  const connectors = useConnectors();
  const palette = useMemo(() => buildPalette(connectors.data ?? []), [connectors.data]);
  const validation = useLiveValidation(doc);
  const warnings = validation.data?.warnings ?? [];

  const problems = useMemo(() => {
    const details = saveError instanceof ApiError && saveError.details.length
      ? saveError.details
      : ((validation.data?.error?.["details"] as ApiError["details"] | undefined) ?? []);
    return problemsByNode(doc, details);
  }, [doc, saveError, validation.data]);

  const edit = useCallback((change: (doc: WorkflowDocument) => WorkflowDocument) => {
    setDoc((now) => change(now));
    setSaveError(null);
  }, []);
  const move = useCallback((nodeId: string, position: Position) => edit((d) => setPosition(d, nodeId, position)), [edit]);

  const add = (item: PaletteItem) => {
    const action = item.make(doc);
    edit((d) => insertAfterNode(d, selected, action));
    setSelected(action.id ?? null);
  };

  const save = async (publish: boolean) => {
    setBusy(true);
    try {
      const result = await saveWorkflow(doc as unknown as Record<string, unknown>, isNew, publish);
      const canonical = withIds(result.document as unknown as WorkflowDocument);
      setDoc(canonical);
      setSaved(JSON.stringify(canonical));
      setSaveError(null);
      const outcome = saveOutcome(result, publish);
      setNotice(outcome);
      await client.invalidateQueries({ queryKey: workflowKeys.all });
      if (isNew) navigate(`/workflows/${encodeURIComponent(result.workflow_id)}`, { replace: true, state: { notice: outcome } });
    } catch (error) {
      setSaveError(error);
    } finally {
      setBusy(false);
    }
  };

  const decided = (result: WorkflowRead, decision: PublishDecision, version: number) => {
    if (decision === "approve") {
      const approved = withIds(result.document as unknown as WorkflowDocument);
      setDoc(approved);
      setSaved(JSON.stringify(approved));
      setNotice(`Approved version ${version}: it is active`);
    } else {
      setNotice(`Rejected version ${version}: ${result.active_version === null ? "no version is active" : `version ${result.active_version} stays active`}`);
    }
  };

  const openVersion = (version: VersionRead) => {
    setDoc(withIds(version.document as unknown as WorkflowDocument));
    setNotice(`Opened version ${version.version}: save or publish to make it a new version`);
    setTab("canvas");
  };

  const selectedAction = useMemo(
    () => (selected ? allActions(doc).find((e) => e.action.id === selected)?.action : undefined),
    [doc, selected],
  );
  const { actions: _actions, ...head } = doc;
  void _actions;
  const dirty = JSON.stringify(doc) !== saved;

  return (
    <div className="editor">
      <EditorToolbar name={doc.name} status={notice} valid={validation.data?.valid} warnings={warnings.length} dirty={dirty} busy={busy} canEdit={canEdit}
        onRelayout={() => edit(clearPositions)} onSave={save} />
      <LeaveGuard dirty={canEdit && dirty} name={doc.name} />
      {!isNew && <PendingApproval workflowId={doc.workflow_id} onDecided={decided} />}
      <ErrorNotice error={saveError} />
      <ValidationWarnings warnings={warnings} doc={doc} />
      <div className="tabs" role="tablist" aria-label="Editor">
        {TABS.map(([key, label]) => {
          const unsaved = isNew && SAVED_ONLY.includes(key);
          return (
            <GreyableButton key={key} role="tab" aria-selected={tab === key} onClick={() => setTab(key)}
              greyedBy={unsaved ? UNSAVED_NOTE : undefined}>
              {label}
            </GreyableButton>
          );
        })}
      </div>
      {isNew && <p id={UNSAVED_NOTE} className="muted">Test and Versions work on the saved workflow: Save draft or Publish first.</p>}
      {tab === "canvas" && (
        <div className="editor-body">
          {canEdit && <Palette items={palette} onAdd={add} target={targetOf(selected, doc)} />}
          <WorkflowCanvas document={doc} problems={problems} states={trace} selected={selected} onSelect={setSelected} onMove={canEdit ? move : undefined} />
          <div className="inspector-pane" ref={inspectorPane}>
            {!canEdit && <ReadOnlyNote role={session.role} />}
            {selected === TRIGGER_ID && (
              <TriggerInspector head={head as DocumentHead} isNew={isNew} problem={problems.get(TRIGGER_ID)} readOnly={!canEdit}
                onChange={(next) => edit((d) => replaceHead(d, next as unknown as Record<string, unknown>))} />
            )}
            {selectedAction && (
              <ActionInspector key={selectedAction.id} action={selectedAction} palette={palette} problem={problems.get(selectedAction.id ?? "")} readOnly={!canEdit}
                onChange={(fields: Action) => edit((d) => replaceFields(d, selectedAction.id ?? "", fields))}
                onMove={(delta) => edit((d) => moveAction(d, selectedAction.id ?? "", delta))}
                onDelete={() => { edit((d) => removeAction(d, selectedAction.id ?? "")); setSelected(null); }} />
            )}
            {!selectedAction && selected !== TRIGGER_ID && (
              <p className="muted inspector-hint">Click a node to edit it{canEdit ? "; pick an action in the palette to add it after the selected node" : ""}.</p>
            )}
          </div>
        </div>
      )}
      {tab === "rules" && <RuleTesterPanel document={doc} />}
      {tab === "test" && !isNew && <TestPanel workflowId={doc.workflow_id} document={doc} dirty={dirty} onTrace={setTrace} />}
      {tab === "versions" && !isNew && <VersionsPanel workflowId={doc.workflow_id} canEdit={canEdit} onOpen={openVersion} />}
    </div>
  );
}
