"""The Network pane: Azure Firewalls and their policies, NSGs, routes, and the flow tracer.

Four sub-views, picked by ``:fw``, ``:nsg``, ``:routes``, ``:flow`` or by the pane's keys (``f``, ``n``,
``o``, ``t``), each recorded in the breadcrumb so Esc comes back:

* **firewalls**: every Azure Firewall and firewall policy (tier, threat intelligence, IDPS, TLS inspection,
  parent policy, rule count) with how ZT-NET-001..006 and 015 judged it. Enter on a policy (or on a
  firewall, its policy) opens the policy's rule book in processing order (parent first, collection group
  and collection priority, DNAT, then network, then application rules: :class:`FirewallRuleBook`), each
  rule flagged any-to-any, broad egress, shadowed or redundant with the covering rule's number; ``c`` jumps
  to the covering rule, Enter shows a rule whole with the rule that covers it.
* **nsgs**: every NSG with its subnets, NICs, rule counts and ZT-NET-007/008/010; Enter lists its rules as
  processed (default rules included), marking the rules the findings name.
* **routes**: per subnet, the effective next hop of ``0.0.0.0/0``, its route table, NSG and hub/spoke role,
  with ZT-NET-009 and 011; ``d`` shows the subnet's effective routes and its network's peerings.
* **flow**: a form (source IP, destination IP or FQDN, port, protocol) that runs the flow tracer
  (:func:`ztconsole.engine.flow.trace_flow`, as ``ztconsole flow`` does) and shows the verdict, every step,
  the Private Access segments publishing the destination with the CA policies gating them, and the
  equivalent ``ztconsole flow`` command line.

Findings come from the app's one assessment (:mod:`ztconsole.ui.analysis`); rows are built in worker
threads (:mod:`ztconsole.ui.panes.network_data`). A failure here is said in this pane only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Input, Label, Static

from ztconsole.safetext import command_line
from ztconsole.threads import in_daemon_thread
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.base import Filterable, Pane
from ztconsole.ui.safe import text
from ztconsole.ui.status import glyph, style_for
from ztconsole.ui.vtable import Column, PreparedRows, VirtualTable, prepare_rows

if TYPE_CHECKING:
    from ztconsole.engine.flow import FlowResult
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.app import ZtApp
    from ztconsole.ui.panes.network_data import NetworkData, NsgRulesView, RulesView

__all__ = ["FLOW_SETS", "FW_SETS", "NSG_SETS", "NetworkPane", "ROUTE_SETS", "flow_command", "parse_flow"]

FW_SETS = ("firewalls", "firewall_policies", "rule_collection_groups", "ip_groups")
NSG_SETS = ("nsgs", "virtual_networks")
ROUTE_SETS = ("virtual_networks", "route_tables", "firewalls", "resource_groups", "vnet_gateways")
FLOW_SETS = ("virtual_networks", "route_tables", "nsgs", "firewalls", "firewall_policies", "rule_collection_groups",
             "ip_groups", "resource_groups", "vnet_gateways", "applications", "app_segments", "ca_policies")
"""What a flow is decided with (``ztconsole flow`` reads the same)."""

VIEWS_SHOWN = (("firewalls", "Firewalls", "f"), ("nsgs", "NSGs", "n"), ("routes", "Routes", "o"),
               ("flow", "Flow", "t"))

FW_COLUMNS = (
    Column("kind", "Kind", width=8),
    Column("name", "Name", flex=True, min_width=22),
    Column("tier", "Tier", max_width=8, min_width=4),
    Column("ti", "Intel", max_width=6, min_width=4),
    Column("idps", "IDPS", max_width=5, min_width=4),
    Column("tls", "TLS", max_width=6, min_width=3),
    Column("parent", "Parent/policy", max_width=24, min_width=6),
    Column("rules", "Rules/IP", max_width=10, min_width=5),
    Column("findings", "Findings", max_width=16, min_width=6),
)
RULE_COLUMNS = (
    Column("pos", "#", max_width=6, min_width=2, align="right"),
    Column("type", "Type", width=4),
    Column("action", "Action", width=6),
    Column("name", "Name", flex=True, min_width=22),
    Column("collection", "Collection", max_width=16, min_width=4),
    Column("src", "Source", max_width=18, min_width=5),
    Column("dst", "Destination", max_width=20, min_width=5),
    Column("ports", "Proto/ports", max_width=12, min_width=4),
    Column("flags", "Flags", max_width=22, min_width=13),
)
NSG_COLUMNS = (
    Column("name", "NSG", flex=True, min_width=12),
    Column("subnets", "Subnets", max_width=30, min_width=6),
    Column("nics", "NICs", max_width=5, min_width=4, align="right"),
    Column("rules", "In/out", max_width=7, min_width=6, align="right"),
    Column("net007", "Mgmt 007", width=8),
    Column("net008", "Clear 008", width=9),
    Column("net010", "VPN 010", width=7),
)
NSG_RULE_COLUMNS = (
    Column("dir", "Dir", width=3),
    Column("priority", "Prio", max_width=5, min_width=4, align="right"),
    Column("name", "Name", flex=True, min_width=18),
    Column("access", "Access", width=6),
    Column("proto", "Proto", max_width=5, min_width=3),
    Column("src", "Source", max_width=22, min_width=5),
    Column("sport", "Src ports", max_width=9, min_width=3),
    Column("dst", "Destination", max_width=22, min_width=5),
    Column("dport", "Dst ports", max_width=11, min_width=4),
    Column("flag", "Findings", max_width=18, min_width=6),
)
ROUTE_COLUMNS = (
    Column("vnet", "VNet", max_width=20, min_width=6),
    Column("subnet", "Subnet", flex=True, min_width=12),
    Column("prefix", "Prefix", max_width=15, min_width=6),
    Column("role", "Role", width=5),
    Column("hop", "0.0.0.0/0 goes to", max_width=34, min_width=12),
    Column("nsg", "NSG", max_width=22, min_width=3),
    Column("net009", "009", width=4),
    Column("net011", "011", width=4),
)

_NAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                   r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")
_LAYERS = {"nsg-outbound": "NSG out", "route": "Route", "firewall": "Firewall", "nsg-inbound": "NSG in"}


def leaf(resource_id: str | None) -> str:
    """The last segment of an ARM id (a resource's name when it has none of its own)."""
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def _rows() -> Any:
    """The row builders (:mod:`ztconsole.ui.panes.network_data`), imported when first needed: the engine's
    network modules stay out of the console's start."""
    from ztconsole.ui.panes import network_data

    return network_data


def _paused(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with the cyclic collector paused (see :mod:`ztconsole.gcpause`): building 20,000 rows
    otherwise sets off full collections over the whole tenant, which hold the event loop too."""
    from ztconsole.gcpause import gc_paused

    with gc_paused():
        return fn(*args)


def _rules_and_rows(book: Any, policy_id: str, assessment: Any, variables: dict[str, str],
                    columns: int) -> tuple[RulesView, PreparedRows]:
    """A policy's rule book for the rules view and its rows measured for the table (in a worker thread)."""
    view = _rows().build_rules(book, policy_id, assessment, variables)
    return view, prepare_rows(view.rows, columns)


def parse_flow(src: str, dst: str, port: str, protocol: str) -> tuple[str, str, int, str]:
    """The form's values checked as ``ztconsole flow`` checks its options; ValueError saying which is wrong."""
    try:
        src_ip = str(ipaddress.ip_address(src.strip()))
    except ValueError:
        raise ValueError(f"Source: not an IP address: {src.strip()!r}") from None
    dst = dst.strip()
    try:
        dst = str(ipaddress.ip_address(dst))
    except ValueError:
        if not _NAME.match(dst) or dst.replace(".", "").isdigit():
            raise ValueError(f"Destination: not an IP address or DNS name: {dst!r}") from None
    value = port.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:
        raise ValueError(f"Port: not a port number (1-65535): {value!r}")
    proto = (protocol.strip() or "tcp").lower()
    if proto not in ("tcp", "udp"):
        raise ValueError(f"Protocol: tcp or udp, not {protocol.strip()!r}")
    return src_ip, dst, int(value), proto


def flow_command(source_args: tuple[str, ...], src: str, dst: str, port: int, protocol: str) -> str:
    """The ``ztconsole flow`` line that traces the same flow, shell-quoted."""
    return command_line(["ztconsole", "flow", *source_args, "--src", src, "--dst", dst, "--port", str(port),
                         "--protocol", protocol])


class NetworkPane(Pane):
    """Firewalls, NSGs, routes and the flow tracer (see the module docstring)."""

    ID = "network"
    TITLE = "Network"
    ALIASES = ("network", "net", "fw", "nsg", "routes", "flow")
    VIEWS: ClassVar[Mapping[str, str]] = {"fw": "firewalls", "nsg": "nsgs", "routes": "routes", "flow": "flow"}
    DATASETS = tuple(dict.fromkeys(FW_SETS + NSG_SETS + ROUTE_SETS + FLOW_SETS))
    ACTION_SCOPE = "network"

    DEFAULT_CSS = """
    NetworkPane #net-tabs { height: 1; padding: 0 1; background: $panel; }
    NetworkPane #net-switcher { height: 1fr; }
    NetworkPane .net-view { height: 1fr; }
    NetworkPane .net-title { height: auto; max-height: 2; padding: 0 1; }
    NetworkPane .net-detail { height: 4; padding: 0 1; border-top: $line-border $panel-lighten-2; overflow: hidden; }
    NetworkPane #flow-form { height: auto; padding: 0 1; }
    NetworkPane #flow-form Label { padding: 0 1 0 0; }
    NetworkPane #flow-form Input { width: 1fr; margin: 0 1 0 0; }
    NetworkPane #flow-form #flow-port { width: 8; }
    NetworkPane #flow-form #flow-proto { width: 6; }
    NetworkPane #flow-result-box { height: 1fr; padding: 0 1; }
    """

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self._tenant: Tenant | None = None
        self._data: NetworkData | None = None
        self._drills: dict[str, tuple[str, str]] = {}  # drill view name -> ("rules" | "nsg", resource id)
        self._shown = "firewalls"  # the widget shown in the switcher
        self._drill: tuple[str, str] | None = None
        self._rules: RulesView | None = None
        # policy id -> its rule book and its rows prepared for the table, for the tenant shown
        self._rules_cache: dict[str, tuple[RulesView, PreparedRows]] = {}
        self._nsg_rules: NsgRulesView | None = None
        self.flow_result: FlowResult | None = None
        """The last flow traced (tests, and the command line shown)."""
        self.flow_line = ""
        """The ``ztconsole flow`` command line of the last flow traced."""

    # --- layout -------------------------------------------------------------------------------------

    def compose_pane(self) -> ComposeResult:
        more = glyph(self.app, "ellipsis")  # "Reading the tenant...": something under way
        yield Static(id="net-tabs")
        with ContentSwitcher(initial="firewalls", id="net-switcher"):
            with Vertical(id="firewalls", classes="net-view"):
                yield DataNotice(FW_SETS, id="fw-notice")
                yield VirtualTable(FW_COLUMNS, empty=f"Reading the tenant{more}", id="fw-table")
                yield Static(id="fw-detail", classes="net-detail")
            with Vertical(id="fw-rules", classes="net-view"):
                yield DataNotice(FW_SETS, id="rules-notice")
                yield Static(id="rules-title", classes="net-title")
                yield VirtualTable(RULE_COLUMNS, empty=f"Flattening the policy{more}", id="rules-table")
                yield Static(id="rules-detail", classes="net-detail")
            with Vertical(id="nsgs", classes="net-view"):
                yield DataNotice(NSG_SETS, id="nsg-notice")
                yield VirtualTable(NSG_COLUMNS, empty=f"Reading the tenant{more}", id="nsg-table")
                yield Static(id="nsg-detail", classes="net-detail")
            with Vertical(id="nsg-rules", classes="net-view"):
                yield DataNotice(NSG_SETS, id="nsg-rules-notice")
                yield Static(id="nsg-rules-title", classes="net-title")
                yield VirtualTable(NSG_RULE_COLUMNS, empty=f"Reading the rules{more}", id="nsg-rules-table")
                yield Static(id="nsg-rules-detail", classes="net-detail")
            with Vertical(id="routes", classes="net-view"):
                yield DataNotice(ROUTE_SETS, id="route-notice")
                yield VirtualTable(ROUTE_COLUMNS, empty=f"Reading the tenant{more}", id="route-table")
                yield Static(id="route-detail", classes="net-detail")
            with Vertical(id="flow", classes="net-view"):
                yield DataNotice(FLOW_SETS, id="flow-notice")
                with Horizontal(id="flow-form"):
                    yield Label("Src")
                    yield Input(placeholder="source IP", id="flow-src", compact=True)
                    yield Label("Dst")
                    yield Input(placeholder="IP or FQDN", id="flow-dst", compact=True)
                    yield Label("Port")
                    yield Input(placeholder="port", id="flow-port", compact=True)
                    yield Label("Proto")
                    yield Input("tcp", id="flow-proto", compact=True)
                with VerticalScroll(id="flow-result-box"):
                    yield Static(Text("Fill in the flow and press Enter to trace it through NSGs, routes, Azure "
                                      "Firewall and Private Access. Tab moves between the fields and on to the "
                                      "result (where f, n, o, t and : work again); Esc goes back.", style="dim"),
                                 id="flow-result")

    def on_mount(self) -> None:
        self._show_tabs()
        self.call_after_refresh(self._focus_view)

    def theme_changed(self) -> None:
        """Rows carry the theme's colours: build them again in the new one (the assessment is kept)."""
        self._show_tabs()
        if self._tenant is not None and self._data is not None:
            self._compute(self._tenant)

    # --- views --------------------------------------------------------------------------------------

    def show_view(self, view: str) -> None:
        drill = self._drills.get(view)
        if drill is not None:
            self._drill = drill
            if drill[0] == "rules":
                self._switch("fw-rules")
                self._load_rules(drill[1])
            else:
                self._switch("nsg-rules")
                self._show_nsg_rules(drill[1])
            return
        self._drill = None
        self._switch(view if view in ("nsgs", "routes", "flow") else "firewalls")

    def _switch(self, widget_id: str) -> None:
        if widget_id != self._shown:
            self.clear_filters()  # a filter belongs to the table it narrowed: another view starts unfiltered
        self._shown = widget_id
        self.query_one("#net-switcher", ContentSwitcher).current = widget_id
        self._show_tabs()
        self.call_after_refresh(self._focus_view)
        self.app.refresh_bindings()

    def _focus_view(self) -> None:
        if self._shown == "flow":
            src = self.query_one("#flow-src", Input)
            if not src.value:
                src.focus()
            elif not isinstance(self.focused, Input):
                self.query_one("#flow-result-box").focus()
            return
        table = self._table()
        if table is not None:
            table.focus()

    def _table(self) -> VirtualTable | None:
        ids = {"firewalls": "#fw-table", "fw-rules": "#rules-table", "nsgs": "#nsg-table",
               "nsg-rules": "#nsg-rules-table", "routes": "#route-table"}
        wanted = ids.get(self._shown)
        return self.query_one(wanted, VirtualTable) if wanted else None

    def filter_target(self) -> Filterable | None:
        """``/`` filters the table of the view shown (the flow view has none)."""
        return self._table()

    def _show_tabs(self) -> None:
        variables = self.app.theme_variables
        out = Text(no_wrap=True, overflow="ellipsis")
        current = {"fw-rules": "firewalls", "nsg-rules": "nsgs"}.get(self._shown, self._shown)
        for view, label, key in VIEWS_SHOWN:
            out.append(f" {key} ", style="bold reverse" if view == current else "bold")
            out.append(f"{label}  ", style="bold" if view == current else "dim")
        if self._shown == "fw-rules" and self._rules is not None:
            out.append(f"{glyph(variables, 'breadcrumb')} ", style="dim")
            out.append_text(text(self._rules.policy_name, "bold"))
            out.append(" rules", style="bold")
        elif self._shown == "nsg-rules" and self._nsg_rules is not None:
            out.append(f"{glyph(variables, 'breadcrumb')} ", style="dim")
            out.append_text(text(self._nsg_rules.nsg_name, "bold"))
            out.append(" rules", style="bold")
        self.query_one("#net-tabs", Static).update(out, layout=False)

    def _go(self, view: str) -> None:
        """Show ``view`` through the app's navigation (recorded, so Esc comes back)."""
        go: Callable[[str, str], Any] | None = getattr(self.app, "go", None)
        if go is not None:
            go(self.ID, view)
        else:
            self.enter_view(view)

    def _drill_view(self, kind: str, resource_id: str, name: str) -> str:
        """The view name of a drill into ``resource_id`` (unique per resource), remembered for Esc."""
        base = f"{'rules' if kind == 'rules' else 'nsg'} {name}"
        view, n = base, 1
        while self._drills.get(view, (kind, resource_id)) != (kind, resource_id):
            n += 1
            view = f"{base} ({n})"
        self._drills[view] = (kind, resource_id)
        return view

    # --- actions (registry scope "network") ----------------------------------------------------------

    def action_view_firewalls(self) -> None:
        self._go("firewalls")

    def action_view_nsgs(self) -> None:
        self._go("nsgs")

    def action_view_routes(self) -> None:
        self._go("routes")

    def action_view_flow(self) -> None:
        self._go("flow")

    def action_describe(self) -> None:
        """``d``: the highlighted row whole, in a dialog."""
        from ztconsole.ui.panes import network_screens as screens

        variables = self.app.theme_variables
        data = self._data
        table = self._table()
        key = table.cursor_key if table is not None else None
        if key is None:
            return
        if self._shown == "firewalls" and data is not None and key in data.fw_entries:
            self.app.push_screen(screens.fw_details(data.fw_entries[key], variables))
        elif self._shown == "nsgs" and data is not None and key in data.nsg_entries:
            self.app.push_screen(screens.nsg_details(data.nsg_entries[key], variables))
        elif self._shown == "routes" and data is not None and key in data.route_entries:
            self.app.push_screen(screens.route_details(data.route_entries[key], variables))
        elif self._shown == "fw-rules" or self._shown == "nsg-rules":
            self._open_row(key)

    def action_covering(self) -> None:
        """``c``: move to the rule that covers the highlighted (shadowed or redundant) rule."""
        rules = self._rules
        table = self.query_one("#rules-table", VirtualTable)
        key = table.cursor_key
        if self._shown != "fw-rules" or rules is None or key is None:
            return
        info = rules.infos.get(key)
        if info is None or info.shadow is None:
            self.flash("This rule is not covered by an earlier rule.")
            return
        target = str(info.shadow.covering.position)
        if not table.move_to(target):
            self.flash(f"Rule #{info.shadow.covering.position + 1} is hidden by the filter.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "covering" and self._shown != "fw-rules":
            return False
        if action == "describe" and self._shown == "flow":
            return False
        return super().check_action(action, parameters)

    # --- the store's hooks --------------------------------------------------------------------------

    def tenant_loaded(self, tenant: Tenant) -> None:
        self._tenant = tenant
        for table_id in ("#fw-table", "#nsg-table", "#route-table"):
            table = self.query_one(table_id, VirtualTable)
            if not table.row_count:
                table.empty = f"Assessing the network{glyph(self.app, 'ellipsis')}"
                table.refresh()
        self._compute(tenant)

    # --- workers ------------------------------------------------------------------------------------

    @work(exclusive=True, group="network-views", exit_on_error=False)
    async def _compute(self, tenant: Tenant) -> None:
        app = cast("ZtApp", self.app)
        variables = dict(app.theme_variables)
        try:
            assessment = await app.analysis.assess(tenant)
            data = await in_daemon_thread(_paused, _rows().build_network, tenant, assessment, variables,
                                          name="ztconsole-network")
        except Exception as e:  # noqa: BLE001 - said in this pane; the others carry on
            self._failed(("#fw-table", "#nsg-table", "#route-table"), e)
            return
        if tenant is not self._tenant:
            return  # a newer load took over
        self._data = data
        self._rules_cache = {}
        self._set(("#fw-table", data.firewalls, "No Azure Firewall or firewall policy was read."),
                  ("#nsg-table", data.nsgs, "No network security group was read."),
                  ("#route-table", data.routes, "No virtual network was read."))
        if self._drill is not None:  # a drill shown: its rows from the new load
            if self._drill[0] == "rules":
                self._load_rules(self._drill[1])
            else:
                self._show_nsg_rules(self._drill[1])
        self._detail_for(self._table())

    def _set(self, *tables: tuple[str, list[Any], str]) -> None:
        for table_id, rows, empty in tables:
            table = self.query_one(table_id, VirtualTable)
            table.empty = empty
            table.set_rows(rows)

    def _failed(self, table_ids: tuple[str, ...], error: BaseException) -> None:
        message = f"Could not compute this view: {type(error).__name__}: {error}"
        for table_id in table_ids:
            table = self.query_one(table_id, VirtualTable)
            table.empty = message
            table.set_rows([])
        self.flash(message, error=True)

    @work(exclusive=True, group="network-rules", exit_on_error=False)
    async def _load_rules(self, policy_id: str) -> None:
        data = self._data
        table = self.query_one("#rules-table", VirtualTable)
        if data is None or data.book is None:
            table.empty = f"Reading the tenant{glyph(self.app, 'ellipsis')}"
            table.set_rows([])
            self.query_one("#rules-title", Static).update(Text("Waiting for the tenant.", style="dim"))
            return
        cached = self._rules_cache.get(policy_id)
        if cached is not None:
            view, prepared = cached
        else:
            if self._rules is None or self._rules.policy_id != policy_id:
                table.empty = f"Flattening the policy{glyph(self.app, 'ellipsis')}"
                table.set_rows([])
            try:
                view, prepared = await in_daemon_thread(
                    _paused, _rules_and_rows, data.book, policy_id, data.assessment, dict(self.app.theme_variables),
                    len(table.columns), name="ztconsole-rules")
            except Exception as e:  # noqa: BLE001 - said in this pane
                self._failed(("#rules-table",), e)
                return
            if data is self._data:
                self._rules_cache[policy_id] = (view, prepared)
        if self._drill != ("rules", policy_id):
            return  # the user moved on
        keep = self._rules is not None and self._rules.policy_id == policy_id
        self._rules = view
        table.empty = "The policy has no rules."
        table.set_prepared(prepared)  # measured in the worker: 20,000 rules are swapped in, not measured here
        if not keep:
            table.move_to("0")
        self._rules_title(view)
        self._show_tabs()
        self._detail_for(table)

    def _rules_title(self, view: RulesView) -> None:
        variables = self.app.theme_variables
        out = Text(no_wrap=False)
        out.append_text(text(view.policy_name, "bold"))
        chain = [leaf(p) for p in view.flat.chain[:-1]]
        out.append(f": {len(view.flat.rules):,} rules in processing order")
        if chain:
            out.append(" (parent ")
            out.append_text(text(", ".join(chain)))
            out.append(" first)")
        out.append("; DNAT, network, application. ")
        counts = view.counts
        for label, key, kind in (("any-any", "any-any", "fail"), ("egress", "egress", "warn"),
                                 ("shadowed", "shadowed", "fail"), ("redundant", "redundant", "warn")):
            if counts.get(key):
                out.append(f"{counts[key]} {label} ", style=style_for(variables, "check", kind))
        for note in view.flat.notes:
            out.append("\n")
            out.append_text(text(note, "dim"))
        self.query_one("#rules-title", Static).update(out)

    def _show_nsg_rules(self, nsg_id: str) -> None:
        data = self._data
        table = self.query_one("#nsg-rules-table", VirtualTable)
        entry = data.nsg_entries.get(f"nsg:/{nsg_id.strip('/').lower()}") if data is not None else None
        if entry is None:
            table.empty = (f"Reading the tenant{glyph(self.app, 'ellipsis')}" if data is None
                           else "This NSG is not in the tenant read.")
            table.set_rows([])
            return
        # an NSG holds a few hundred rules at most: built here
        view: NsgRulesView = _rows().build_nsg_rules(entry.nsg, entry.findings, self.app.theme_variables)
        keep = self._nsg_rules is not None and self._nsg_rules.nsg_id == nsg_id
        self._nsg_rules = view
        table.empty = "The NSG has no rules."
        table.set_rows(view.rows)
        if not keep:
            table.action_first()
        title = Text()
        title.append_text(text(view.nsg_name, "bold"))
        title.append(": inbound then outbound rules by priority, the default rules last; findings mark the rules "
                     "they name.")
        for note in view.notes:
            title.append("\n")
            title.append_text(text(note, "dim"))
        self.query_one("#nsg-rules-title", Static).update(title)
        self._show_tabs()
        self._detail_for(table)

    # --- rows -----------------------------------------------------------------------------------------

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._detail_for(event.table)

    def _detail_for(self, table: VirtualTable | None) -> None:
        if table is None or not table.is_mounted:
            return
        key = table.cursor_key
        variables = self.app.theme_variables
        data = self._data
        findings_text = _rows().findings_text
        out = Text()
        target = {"fw-table": "#fw-detail", "rules-table": "#rules-detail", "nsg-table": "#nsg-detail",
                  "nsg-rules-table": "#nsg-rules-detail", "route-table": "#route-detail"}.get(table.id or "")
        if target is None:
            return
        if key is None:
            self.query_one(target, Static).update(out, layout=False)
            return
        if table.id == "fw-table" and data is not None and key in data.fw_entries:
            entry = data.fw_entries[key]
            out = findings_text(entry.findings, variables, limit=3) if entry.findings else Text(
                "No finding judged it.", style="dim")
        elif table.id == "nsg-table" and data is not None and key in data.nsg_entries:
            nsg_entry = data.nsg_entries[key]
            out = findings_text([f for f in nsg_entry.findings if f.status != "pass"] or nsg_entry.findings,
                                variables, limit=3)
        elif table.id == "route-table" and data is not None and key in data.route_entries:
            route = data.route_entries[key]
            table_ref = route.subnet.route_table
            out.append("Route table ", style="dim")
            out.append_text(text(leaf(table_ref.id) if table_ref is not None and table_ref.id else "none"))
            if route.missing_table:
                out.append(" (not read)", style=style_for(variables, "check", "warn"))
            out.append(f" {glyph(variables, 'separator')} peerings: ", style="dim")
            out.append_text(text("; ".join(route.peerings) or "none"))
            if route.findings:
                out.append("\n")
                out.append_text(findings_text([f for f in route.findings if f.status != "pass"] or route.findings,
                                              variables, limit=2))
        elif table.id == "rules-table" and self._rules is not None and key in self._rules.infos:
            info = self._rules.infos[key]
            r = info.rule
            out.append_text(text(f"{leaf(r.group_id)} ({r.group_priority}) {glyph(variables, 'breadcrumb')} "
                                 f"{r.collection} ({r.collection_priority}) #{r.index + 1}", "dim"))
            if r.inherited:
                out.append("  inherited from ", style="dim")
                out.append_text(text(leaf(r.policy_id), "dim"))
            if info.shadow is not None:
                s = info.shadow
                out.append("\n")
                out.append(f"{s.kind} by #{s.covering.position + 1} ",
                           style=style_for(variables, "check", "fail" if s.kind == "shadowed" else "warn"))
                out.append_text(text(s.covering.name, "bold"))
                out.append(" (c: go to it): ", style="dim")
                out.append_text(text(s.reason))
            elif info.any_any:
                out.append("\nany-to-any allow (ZT-NET-004)", style=style_for(variables, "check", "fail"))
            elif info.egress:
                out.append("\n")
                out.append_text(text(info.egress, style_for(variables, "check", "warn")))
        elif table.id == "nsg-rules-table" and self._nsg_rules is not None and key in self._nsg_rules.infos:
            nsg_info = self._nsg_rules.infos[key]
            out = findings_text(nsg_info.marked, variables, limit=2) if nsg_info.marked else Text(
                "No finding names this rule." + (" A default rule: a lower priority number overrides it."
                                                 if nsg_info.default else ""), style="dim")
        self.query_one(target, Static).update(out, layout=False)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self._open_row(event.key, event.table.id or "")

    def _open_row(self, key: str, table_id: str | None = None) -> None:
        from ztconsole.ui.panes import network_screens as screens

        if table_id is None:
            shown = self._table()
            table_id = (shown.id if shown is not None else None) or ""
        variables = self.app.theme_variables
        data = self._data
        if table_id == "fw-table" and data is not None and key in data.fw_entries:
            entry = data.fw_entries[key]
            if entry.policy_id is None:
                self.app.push_screen(screens.fw_details(entry, variables))
                return
            name = entry.policy.name if entry.policy is not None and entry.policy.name else leaf(entry.policy_id)
            self._go(self._drill_view("rules", entry.policy_id, name or "policy"))
        elif table_id == "nsg-table" and data is not None and key in data.nsg_entries:
            nsg = data.nsg_entries[key].nsg
            self._go(self._drill_view("nsg", nsg.id, nsg.name or leaf(nsg.id)))
        elif table_id == "route-table" and data is not None and key in data.route_entries:
            self.app.push_screen(screens.route_details(data.route_entries[key], variables))
        elif table_id == "rules-table" and self._rules is not None and key in self._rules.infos:
            book = data.book if data is not None else None
            names = {k: (p.name or leaf(p.id)) for k, p in book.policies.items()} if book is not None else {}
            self.app.push_screen(screens.rule_details(self._rules.infos[key], names, variables))
        elif table_id == "nsg-rules-table" and self._nsg_rules is not None and key in self._nsg_rules.infos:
            self.app.push_screen(screens.nsg_rule_details(self._nsg_rules.nsg_name, self._nsg_rules.infos[key],
                                                          variables))

    # --- the flow tracer ----------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id and event.input.id.startswith("flow-"):
            event.stop()
            self.trace()

    def trace(self) -> None:
        """Trace the flow the form describes (Enter in any of its fields)."""
        values = [self.query_one(f"#flow-{name}", Input).value for name in ("src", "dst", "port", "proto")]
        try:
            src, dst, port, proto = parse_flow(*values)
        except ValueError as e:
            self.query_one("#flow-result", Static).update(text(str(e), style_for(self.app.theme_variables,
                                                                                 "check", "fail")))
            self.flash(str(e), error=True)
            return
        if self._tenant is None:
            self.flash("The tenant is still being read: trace again once it has loaded.")
            return
        self.query_one("#flow-result", Static).update(Text(f"Tracing{glyph(self.app, 'ellipsis')}", style="dim"))
        self._trace(self._tenant, src, dst, port, proto)

    @work(exclusive=True, group="network-flow", exit_on_error=False)
    async def _trace(self, tenant: Tenant, src: str, dst: str, port: int, proto: str) -> None:
        from ztconsole.engine.flow import trace_flow

        try:
            result = await in_daemon_thread(trace_flow, tenant, src, dst, port, proto, name="ztconsole-flow")
        except Exception as e:  # noqa: BLE001 - said in this pane
            message = f"The flow could not be traced: {type(e).__name__}: {e}"
            self.query_one("#flow-result", Static).update(text(message))
            self.flash(message, error=True)
            return
        self.flow_result = result
        self.flow_line = flow_command(cast("ZtApp", self.app).analysis.source_args, src, dst, port, proto)
        self.query_one("#flow-result", Static).update(self._flow_text(result, tenant))

    def _flow_text(self, result: FlowResult, tenant: Tenant) -> Text:
        variables = self.app.theme_variables
        arrow = glyph(variables, "arrow")
        out = Text()
        is_ip = True
        try:
            ipaddress.ip_address(result.dst)
        except ValueError:
            is_ip = False
        verdict = result.verdict
        out.append(f" {verdict.upper()} ", style=f"reverse {style_for(variables, 'verdict', verdict)}".strip())
        out.append(f"  {result.src} {arrow} ")
        out.append_text(text(result.dst))
        out.append(f":{result.port}/{result.protocol}")
        d = result.decided_by
        if not is_ip:
            out.append("\nno network path traced to a DNS name: give the address it resolves to", style="dim")
        elif d is not None:
            out.append("  decided by ", style="dim")
            out.append(_LAYERS.get(d.layer, d.layer))
            out.append(" ")
            out.append_text(text(d.resource_name, "bold"))
            if d.rule:
                out.append(" rule ")
                out.append_text(text(d.rule, "bold"))
        out.append("\n\nPath\n", style="bold underline")
        if not result.path:
            out.append("No step of the network path could be judged.\n", style="dim")
        for i, step in enumerate(result.path, 1):
            action_style = style_for(variables, "verdict", step.action) if step.action != "nextHop" else "dim"
            out.append(f"{i}. {_LAYERS.get(step.layer, step.layer):<8} ")
            out.append(f"{step.action:<7} ", style=action_style)
            out.append_text(text(step.resource_name, "bold"))
            if step.rule:
                out.append(" rule ")
                out.append_text(text(step.rule))
            out.append("\n   ")
            out.append_text(text(step.detail, "dim"))
            out.append("\n")
        out.append("\nPrivate Access\n", style="bold underline")
        if result.private_access:
            names = {p.id: p.display_name or p.id for p in tenant.ca_policies}
            for m in result.private_access:
                out.append("- ")
                out.append_text(text(m.app_name, "bold"))
                out.append(": ")
                out.append_text(text(m.label))
                out.append("\n  gated by enabled CA policies: ", style="dim")
                out.append_text(text(", ".join(names.get(p, p) for p in m.policies) or "none"))
                out.append("\n")
        else:
            out.append("No Private Access segment publishes this destination and port.\n", style="dim")
        out.append("\nSame flow on the command line\n", style="bold underline")
        out.append(self.flow_line)
        return out
