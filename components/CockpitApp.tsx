/**
 * The cockpit for one EngineState given as a prop: header, stage pipeline,
 * gates, nodes, alerts, activity, footer, laid out to the terminal's size.
 * Rendering only; keys become UI actions or the callbacks.
 */
import React, { useCallback, useEffect, useMemo, useState } from 'react';
import { Box, useStdout } from 'ink';
import type { EngineState, GateView } from '../src/engine/types.js';
import type { NodeStatus } from '../src/sources/types.js';
import type { CockpitActions, CockpitCallbacks, CockpitExtras, CockpitIntro, ExtraKey } from '../src/ui-contract.js';
import { rolloutStatus } from '../src/present/rollout-status.js';
import { activityEntries } from './activity.js';
import { ActivityLog } from './ActivityLog.js';
import { alertList, alertsStart, alertText, AlertsPanel } from './AlertsPanel.js';
import { initialUi, uiReducer, type UiState } from './cockpit/ui-state.js';
import { PollHistory } from './cockpit/poll-history.js';
import { useRefReducer } from './dialogs/use-ref-reducer.js';
import { buildViewKeys } from './extra-keys.js';
import { LineDetail } from './LineDetail.js';
import { useCockpitInput } from './cockpit/use-cockpit-input.js';
import { useTerminalSize } from './cockpit/use-terminal-size.js';
import { signoffTarget } from './dialogs/signoff-target.js';
import { useDialogs } from './dialogs/use-dialogs.js';
import { Footer } from './Footer.js';
import { GateDetail } from './GateDetail.js';
import { gateList, GatesPanel } from './GatesPanel.js';
import { Header, headerHeight } from './Header.js';
import { helpColumns, HelpOverlay } from './HelpOverlay.js';
import { KeyLayerProvider, PRIORITY, useKeyLayer } from './input/KeyLayers.js';
import { Intro, introLines, introRowsFor } from './Intro.js';
import { computeLayout, panelRows, type FrameLayout, type PanelId, type Size } from './layout.js';
import { flattenBody, NodeDetail } from './NodeDetail.js';
import { nodeList, NodesPanel } from './NodesPanel.js';
import { StagePipeline } from './StagePipeline.js';
import { asciiByDefault, colorDisabled, makeTheme } from './theme.js';
import { ThemeProvider, useTheme } from './ThemeContext.js';
import { TooSmall } from './TooSmall.js';

export interface CockpitAppProps extends Partial<CockpitCallbacks> {
  state: EngineState;
  /** Display time; default state.now. Countdowns move on from the state by now - state.now. */
  now?: number;
  extras?: CockpitExtras;
  readonly?: boolean;
  /** --no-color; NO_COLOR in `env` turns colours off as well. */
  noColor?: boolean;
  ascii?: boolean;
  /** Fixed terminal size (default: the stdout's, following resizes). */
  size?: Size;
  /** Clock times in UTC instead of local time. */
  utc?: boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * A dialog drawn in place of the body while it returns non-null (its keys
   * go through useKeyLayer(PRIORITY.modal, …)).
   */
  renderOverlay?: (box: { width: number; height: number }) => React.ReactNode;
  /**
   * Repaint the whole screen shortly after a resize (full-screen use): the
   * terminal reflows what was on it, so the incremental renderer's idea of
   * the screen is no longer true.
   */
  repaintOnResize?: boolean;
  /**
   * What the dialogs act through. Given: p/b/s open the promote, rollback and
   * sign-off dialogs (onAction is not called) and q asks first while an action
   * runs. Absent: p/b call onAction, s says it is not available.
   */
  actions?: CockpitActions;
  /** Keys of this use of the cockpit (replay): above the cockpit's own, listed in the help and footer. */
  extraKeys?: readonly ExtraKey[];
  /** What this screen is (the demo's first screen), under the status line until a key or `forMs`. */
  intro?: CockpitIntro;
}

/** How long after the last resize event the screen is repainted (past a frame at 10 fps). */
export const RESIZE_REPAINT_MS = 250;

const EMPTY: CockpitExtras = {};

export function CockpitApp(props: CockpitAppProps) {
  const theme = useMemo(
    () => {
      const env = props.env ?? process.env;
      return makeTheme({ noColor: colorDisabled(props.noColor ?? false, env), ascii: (props.ascii ?? false) || asciiByDefault(env) });
    },
    [props.noColor, props.ascii, props.env],
  );
  return (
    <ThemeProvider theme={theme}>
      <KeyLayerProvider>
        <CockpitScreen {...props} />
      </KeyLayerProvider>
    </ThemeProvider>
  );
}

function CockpitScreen(props: CockpitAppProps) {
  const size = useTerminalSize(props.size);
  const [ui, dispatch, uiRef] = useRefReducer(uiReducer, () => initialUi);
  const { write, stdout } = useStdout();
  const live = { state: props.state, extras: props.extras ?? EMPTY, now: props.now ?? props.state.now };
  const shown = ui.frozen ?? live;
  const { state, extras, now } = shown;
  // The past polls [ ] step through: the first state of each poll, kept as it arrives (also while viewing the past).
  const [history] = useState(() => new PollHistory());
  useEffect(() => {
    history.record(live);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [history, props.state]);
  const readonly = props.readonly ?? false;
  // Where the rollout stands, once per frame, for the status line, the pipeline and the dialogs (always live).
  const status = rolloutStatus(live.state, live.now, { readonly, action: live.extras.action });
  // A view's keys that clash with the cockpit's are refused here, when the view is built.
  const viewKeys = useMemo(() => buildViewKeys(props.extraKeys), [props.extraKeys]);

  const gates = useMemo(() => gateList(state.gates, ui.filter.gates), [state.gates, ui.filter.gates]);
  const nodes = useMemo(() => nodeList(state.nodes, ui.filter.nodes), [state.nodes, ui.filter.nodes]);
  const theme = useTheme();
  const entries = useMemo(() => activityEntries(state.events, extras.lines, theme.glyphs), [state.events, extras.lines, theme.glyphs]);

  const intro = useIntro(props.intro);
  const introFree = Math.max(0, size.rows - 1) - headerHeight(live.extras) - 3;
  const introRows = intro ? Math.min(introLines(intro.paragraphs, Math.max(0, size.columns - 1), Infinity).length, introRowsFor(introFree)) : 0;

  const layout = computeLayout(size, {
    headerLines: headerHeight(live.extras) + introRows,
    wants: {
      gates: 2 + Math.max(1, gates.length),
      nodes: 1 + Math.max(1, nodes.length),
      alerts: 1 + state.alerts.length,
      log: 1 + entries.length,
    },
  });

  const openGate = ui.view.kind === 'gate' ? state.gates.find((g) => g.id === (ui.view as { id: string }).id) : undefined;
  const openNode = ui.view.kind === 'node' ? state.nodes.find((n) => n.name === (ui.view as { name: string }).name) : undefined;
  const detailLength = openGate
    ? openGate.history.length
    : openNode
      ? flattenBody(openNode.lastBody ?? openNode.last?.body).length
      : ui.view.kind === 'line'
        ? 1000
        : ui.view.kind === 'help'
          ? helpColumns(layout.width, layout.body, readonly, theme, props.extraKeys).maxScroll + 1
          : 0;

  const dialogs = useDialogs({
    actions: props.actions,
    now: live.now,
    extras: live.extras,
    state: live.state,
    status,
    readonly,
    onQuit: props.onQuit,
    message: (text, tok) => dispatch({ type: 'message', text, tok }),
    utc: props.utc,
  });
  const signoff = () => {
    const say = (text: string) => dispatch({ type: 'message', text, tok: 'warn' });
    if (!props.actions) return say('sign-off is not available here');
    const u = uiRef.current;
    const t = signoffTarget(u.view, u.focus, u.selected.gates, gateList(live.state.gates, u.filter.gates), live.state.gates);
    if ('gate' in t) {
      dispatch({ type: 'clear-message' });
      dialogs.openSignoff(t.gate);
    } else say(t.message);
  };

  const redraw = useCallback(() => write('\u001b[2J\u001b[H'), [write]);
  useEffect(() => {
    if (!props.repaintOnResize) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const onResize = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(redraw, RESIZE_REPAINT_MS);
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
      if (timer) clearTimeout(timer);
    };
  }, [props.repaintOnResize, stdout, redraw]);
  useCockpitInput({
    ui: () => uiRef.current,
    dispatch,
    layout,
    gates: () => gateList((uiRef.current.frozen ?? live).state.gates, uiRef.current.filter.gates),
    nodes: () => nodeList((uiRef.current.frozen ?? live).state.nodes, uiRef.current.filter.nodes),
    alertCount: state.alerts.length,
    logCount: entries.length,
    detailLength,
    snapshot: () => live,
    history: () => history,
    utc: props.utc,
    readonly,
    viewName: viewKeys.length ? 'replay' : undefined,
    viewKeys,
    callbacks: {
      onCommand: props.onCommand,
      onAction: props.actions ? dialogs.openAction : props.onAction,
      onQuit: dialogs.requestQuit,
      onRedraw: props.onRedraw,
    },
    onSignoff: signoff,
    openLogLine: () => {
      const rows = Math.max(1, panelRows(layout, 'log'));
      const back = Math.min(uiRef.current.scroll.log, Math.max(0, entries.length - rows));
      const e = entries[entries.length - 1 - back];
      if (e) dispatch({ type: 'open', view: { kind: 'line', at: e.at, text: e.text, tok: e.tok } });
    },
    openAlert: () => {
      const list = alertList(state.alerts);
      const a = list[alertsStart(list.length, uiRef.current.scroll.alerts, Math.max(1, panelRows(layout, 'alerts')))];
      if (a) dispatch({ type: 'open', view: { kind: 'line', at: a.since, ...alertText(a), title: 'ALERT' } });
    },
    redraw,
  });

  const header = (
    <Header state={live.state} now={live.now} status={status} extras={live.extras} readonly={readonly} frozen={ui.frozen} past={ui.frozen && ui.rewound ? { back: history.back(ui.frozen), kept: history.size } : undefined} width={layout.width} utc={props.utc} />
  );
  if (layout.tooSmall) return <TooSmall columns={size.columns} rows={size.rows} header={header} />;

  const box = { width: layout.width, height: layout.body };
  const overlay = dialogs.isOpen ? dialogs.render(box) : (props.renderOverlay?.(box) ?? null);
  let body: React.ReactNode;
  if (overlay !== null && overlay !== undefined && overlay !== false) body = overlay;
  else if (ui.view.kind === 'help') body = <HelpOverlay width={layout.width} height={layout.body} readonly={readonly} extraKeys={props.extraKeys} scroll={ui.detailScroll} />;
  else if (ui.view.kind === 'gate')
    body = <GateDetail gateId={ui.view.id} gate={openGate} events={state.events} width={layout.width} height={layout.body} scroll={ui.detailScroll} wide={layout.wide} now={now} stateNow={state.now} utc={props.utc} />;
  else if (ui.view.kind === 'node') body = <NodeDetail name={ui.view.name} node={openNode} width={layout.width} height={layout.body} scroll={ui.detailScroll} now={now} utc={props.utc} />;
  else if (ui.view.kind === 'line') body = <LineDetail at={ui.view.at} text={ui.view.text} tok={ui.view.tok} title={ui.view.title} width={layout.width} height={layout.body} scroll={ui.detailScroll} utc={props.utc} />;
  else body = <Panels layout={layout} ui={ui} state={state} gates={gates} nodes={nodes} now={now} entries={entries} utc={props.utc} />;

  return (
    <Box flexDirection="column" width={layout.width} height={layout.height} overflow="hidden">
      {header}
      {intro && introRows > 0 ? <Intro paragraphs={intro.paragraphs} width={layout.width} rows={introRows} /> : null}
      <StagePipeline state={live.state} now={live.now} status={status} readonly={readonly} width={layout.width} />
      <Box flexDirection="column" width={layout.width} height={layout.body} overflow="hidden">
        {body}
      </Box>
      <Footer width={layout.width} editing={ui.editing} filterText={ui.editing ? ui.filter[ui.editing] : ''} message={ui.message} readonly={readonly} past={ui.frozen !== null} dialog={dialogs.isOpen} extraKeys={props.extraKeys} />
    </Box>
  );
}

/** The intro while it shows: until the first key (which still does what it does) or `forMs` of wall time. */
function useIntro(intro: CockpitIntro | undefined): CockpitIntro | undefined {
  const [gone, setGone] = useState(false);
  const on = !!intro && !gone && intro.paragraphs.length > 0;
  useKeyLayer(
    PRIORITY.watch,
    () => {
      setGone(true);
      return false;
    },
    on,
  );
  useEffect(() => {
    if (!on) return undefined;
    const t = setTimeout(() => setGone(true), intro.forMs);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [on, intro?.forMs]);
  return on ? intro : undefined;
}

interface PanelsProps {
  layout: FrameLayout;
  ui: UiState;
  state: EngineState;
  /** The gates and nodes panels' rows, sorted and filtered (once per change, not per frame). */
  gates: readonly GateView[];
  nodes: readonly NodeStatus[];
  now: number;
  entries: ReturnType<typeof activityEntries>;
  utc?: boolean;
}

function Panels(p: PanelsProps) {
  const { layout, ui, state, now } = p;
  const panel = (id: PanelId, width: number, height: number) => {
    const focused = ui.focus === id;
    switch (id) {
      case 'gates':
        return <GatesPanel key={id} gates={state.gates} list={p.gates} filter={ui.filter.gates} editing={ui.editing === 'gates'} selectedId={ui.selected.gates} top={ui.scroll.gates} width={width} height={height} focused={focused} now={now} stateNow={state.now} />;
      case 'nodes':
        return <NodesPanel key={id} nodes={state.nodes} list={p.nodes} filter={ui.filter.nodes} editing={ui.editing === 'nodes'} selectedName={ui.selected.nodes} top={ui.scroll.nodes} width={width} height={height} focused={focused} now={now} />;
      case 'alerts':
        return <AlertsPanel key={id} alerts={state.alerts} top={ui.scroll.alerts} width={width} height={height} focused={focused} now={now} />;
      case 'log':
        return <ActivityLog key={id} entries={p.entries} back={ui.scroll.log} width={width} height={height} focused={focused} utc={p.utc} />;
    }
  };
  return (
    <Box flexDirection="row" width={layout.width} height={layout.body}>
      {layout.columns.map((col, i) => (
        <Box key={i} flexDirection="column" width={col.width} height={layout.body} marginLeft={i > 0 ? 1 : 0} flexShrink={0}>
          {col.panels.map((pp) => panel(pp.id, col.width, pp.height))}
        </Box>
      ))}
    </Box>
  );
}
