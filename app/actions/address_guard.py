"""The address guard: which hosts outbound HTTP may reach.

A webhook URL is chosen by whoever edits a workflow, so without this guard it could reach
the service's own network: Redis, the database, a cloud metadata endpoint handing out
credentials. The guard resolves a host itself and judges every address it resolves to; the
client then connects to exactly the address judged (``app.actions.net``), so a DNS answer
that changes between the check and the connection cannot slip past it.
"""

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from app.actions.base import ConnectorError

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
ALLOW_SETTING = "AUTOMATOR_HTTP_ALLOWED_HOSTS"
# A check before a run (validation, a dry run) is made by an API process, the call by a worker,
# each judging by its own setting: a warning says whose, so one that differs is found.
JUDGED_HERE = (
    f" (judged by this API process's {ALLOW_SETTING}; workers judge each call by their own: "
    "give the API and every worker the same)"
)

# Instance metadata services answer credentials to anyone who can reach them. Most sit in
# ranges refused anyway; the list names them so that no change in Python's range tables, and
# no allow-listed network around them, lets them through.
METADATA = frozenset(
    ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack, Oracle
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.169.253",  # AWS VPC DNS
        "169.254.169.123",  # AWS time sync
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS ECS task credentials over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "168.63.129.16",  # Azure wire server: a public address, so only this list refuses it
    )
)
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "instance-data"})
SHARED = ip_network("100.64.0.0/10")  # carrier-grade NAT: neither private nor global
NAT64 = ip_network("64:ff9b::/96")  # the well-known prefix: the IPv4 address is the low 32 bits
COMPATIBLE = ip_network("::/96")  # deprecated IPv4-compatible IPv6 addresses
_PART = re.compile(r"0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*")

CHECKS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("a cloud metadata address", lambda address: address in METADATA),
    ("a loopback address", lambda address: address.is_loopback),
    ("the unspecified address", lambda address: address.is_unspecified),
    ("a link-local address", lambda address: address.is_link_local),
    ("a multicast address", lambda address: address.is_multicast),
    ("a shared (carrier-grade NAT) address", lambda address: address in SHARED),
    ("a private address", lambda address: address.is_private),
    # fec0::/10, deprecated yet still routed inside some networks; Python counts it global.
    ("a site-local address", lambda address: getattr(address, "is_site_local", False)),
    ("a reserved address", lambda address: address.is_reserved),
    ("not a public address", lambda address: not address.is_global),
)


class AddressRefused(ConnectorError):
    """The guard refused a host; final, since the same host would be refused again."""

    def __init__(self, host: str, why: str, *, metadata: bool = False) -> None:
        super().__init__(
            f"refused to connect to {host}: {why}; {_remedy(host, metadata=metadata)}",
            retryable=False,
        )
        self.host = host
        self.metadata = metadata


def _remedy(host: str, *, metadata: bool) -> str:
    """What to do about a refusal. The setting as one writes it, for a person pointing a first
    webhook at a local sink; none for a metadata service: it answers the machine's cloud
    credentials to any caller, and a line ready to paste would open them to every workflow's
    webhook (docs/security.md says how, for the rare service meant to reach one)."""
    if metadata:
        return "it hands out this machine's cloud credentials: see docs/security.md first"
    return f"allow it with {ALLOW_SETTING}={host.strip('[]')} in the service's environment"


def ipv4_literal(text: str) -> IPv4Address | None:
    """An IPv4 address in any form ``inet_aton`` takes: ``127.0.0.1``, ``2130706433``,
    ``0x7f000001``, ``0177.0.0.1``, ``127.1``. Parsed here rather than by the C library so
    the answer is the same on every platform."""
    parts = text.lower().split(".")
    if not 1 <= len(parts) <= 4 or not all(_PART.fullmatch(part) for part in parts):
        return None
    numbers = [_number(part) for part in parts]
    *head, last = numbers
    if any(number > 255 for number in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = sum(number << (8 * (3 - index)) for index, number in enumerate(head))
    return IPv4Address(value + last)


def _number(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    return int(part, 8 if part.startswith("0") else 10)


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names by itself, brackets and legacy IPv4 forms included."""
    bare = host.strip("[]")
    try:
        return ip_address(bare)
    except ValueError:
        return ipv4_literal(bare)


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo),
    which is where a connection to it ends up."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64 or (address in COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def is_metadata(address: IPAddress) -> bool:
    """Whether ``address`` is a metadata service's, by itself or inside an IPv6 address."""
    inner = embedded_ipv4(address)
    return address in METADATA or (inner is not None and inner in METADATA)


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be reached, or None when it is a public address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        why = refusal(inner)
        return f"{why} ({inner}) inside an IPv6 address" if why else None
    for why, applies in CHECKS:
        if applies(address):
            return why
    return None


@dataclass(frozen=True)
class AllowList:
    """``AUTOMATOR_HTTP_ALLOWED_HOSTS``: host names (matched exactly, case-insensitively)
    bypass the guard whatever they resolve to; IP addresses and CIDR networks allow the
    addresses they contain, however a URL spells them."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "AllowList":
        names, networks = set(), []
        for entry in entries:
            text = entry.strip().lower().strip("[]")
            try:
                networks.append(ip_network(text, strict=False))
            except ValueError:
                if "/" in text or not text:
                    message = f"{ALLOW_SETTING}: {entry!r} is not a host, IP or CIDR"
                    raise ValueError(message) from None
                names.add(text.rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return host in self.names

    def allows_address(self, address: IPAddress) -> bool:
        """Whether an entry holds ``address``; a metadata address only by naming it alone."""
        return any(
            address in network and (network.num_addresses == 1 or address not in METADATA)
            for network in self.networks
        )


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The addresses the system resolver gives for ``host``, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    found = (ip_address(str(info[4][0]).split("%")[0]) for info in infos)
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Guard:
    """Resolves a host and judges the addresses; what ``addresses`` returns is what the
    client may connect to."""

    allow: AllowList = AllowList()
    resolve: Resolver = system_resolver

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to for ``host``; ``AddressRefused`` if any is refused."""
        name, literal, trusted = self._judged_unresolved(host)
        if literal is not None:
            return [literal]
        found = await self._lookup(name, port)
        if not trusted:
            for address in found:
                self.judge(host, address)
        return found

    def refusal_unresolved(self, host: str) -> str | None:
        """Why a call to ``host`` would be refused, when that is known without resolving
        it (an IP address however spelled, a metadata service's name), else None; saying
        that it was judged by this process's allow-list, which may not be the workers'. A
        metadata service's refusal names no setting (``_remedy``)."""
        try:
            self._judged_unresolved(host)
        except AddressRefused as refused:
            return refused.message if refused.metadata else refused.message + JUDGED_HERE
        return None

    def _judged_unresolved(self, host: str) -> tuple[str, IPAddress | None, bool]:
        """``host`` judged as far as it can be without resolving it: ``AddressRefused`` for
        a metadata service's name or a refused IP address, else the name to resolve, the
        address it names by itself (None for a name) and whether the allow-list trusts it.
        One place for both ``addresses`` and ``refusal_unresolved``, so a check can never
        warn of less than the call refuses."""
        name = host.strip("[]").lower().rstrip(".")
        literal = ip_literal(name)
        if self.allow.allows_name(name):
            return name, literal, True
        if name in METADATA_NAMES:
            raise AddressRefused(host, "it names a cloud metadata service", metadata=True)
        if literal is not None:
            self.judge(host, literal)
        return name, literal, False

    def judge(self, host: str, address: IPAddress) -> None:
        """Raise ``AddressRefused`` unless ``address`` may be reached."""
        if self.allow.allows_address(address):
            return
        why = refusal(address)
        if why is not None:
            spelled = "it is" if host.strip("[]") == str(address) else f"it resolves to {address},"
            raise AddressRefused(host, f"{spelled} {why}", metadata=is_metadata(address))

    async def _lookup(self, name: str, port: int) -> list[IPAddress]:
        try:
            found = await self.resolve(name, port)
        except OSError as exc:
            raise ConnectorError(f"cannot resolve {name}: {exc}", retryable=True) from exc
        if not found:
            raise ConnectorError(f"cannot resolve {name}: no addresses", retryable=True)
        return found
