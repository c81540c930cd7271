"""The address guard judges hosts and the addresses they resolve to. Nothing here connects
anywhere: literal addresses are parsed, ``localhost`` comes from the hosts file, and other
names from a stand-in resolver (a hostile DNS server cannot run here)."""

from ipaddress import IPv4Address, ip_address

import pytest

from app.actions.address_guard import (
    JUDGED_HERE,
    AddressRefused,
    AllowList,
    Guard,
    IPAddress,
    ipv4_literal,
    refusal,
)
from app.actions.base import ConnectorError


def stand_in_dns(table: dict[str, list[str]]) -> Guard:
    """A guard whose resolver answers from ``table`` (a stand-in for DNS)."""

    async def resolve(host: str, port: int) -> list[IPAddress]:
        return [ip_address(text) for text in table[host]]

    return Guard(resolve=resolve)


async def refusal_of(guard: Guard, host: str) -> AddressRefused:
    with pytest.raises(AddressRefused) as caught:
        await guard.addresses(host, 443)
    assert not caught.value.retryable
    return caught.value


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "it is a loopback address"),
        ("localhost", "it resolves to 127.0.0.1, a loopback address"),
        ("2130706433", "it resolves to 127.0.0.1, a loopback address"),
        ("0x7f000001", "it resolves to 127.0.0.1, a loopback address"),
        ("0177.0.0.1", "it resolves to 127.0.0.1, a loopback address"),
        ("127.1", "it resolves to 127.0.0.1, a loopback address"),
        ("10.0.0.1", "it is a private address"),
        ("167772161", "it resolves to 10.0.0.1, a private address"),
        ("0xa000001", "it resolves to 10.0.0.1, a private address"),
        ("192.168.1.1", "it is a private address"),
        ("3232235777", "it resolves to 192.168.1.1, a private address"),
        ("0xc0.0xa8.1.1", "it resolves to 192.168.1.1, a private address"),
        ("[::1]", "it is a loopback address"),
        ("[fec0::1]", "it is a site-local address"),
        ("::1", "it is a loopback address"),
        ("[::ffff:127.0.0.1]", "a loopback address (127.0.0.1) inside an IPv6 address"),
        ("[::127.0.0.1]", "a loopback address (127.0.0.1) inside an IPv6 address"),
        ("[2002:a00:1::1]", "a private address (10.0.0.1) inside an IPv6 address"),
        ("[fe80::1]", "it is a link-local address"),
        ("[fc00::1]", "it is a private address"),
        ("100.64.0.1", "it is a shared (carrier-grade NAT) address"),
        ("169.254.1.1", "it is a link-local address"),
        ("0.0.0.0", "it is the unspecified address"),
        ("0", "it resolves to 0.0.0.0, the unspecified address"),
        ("[::]", "it is the unspecified address"),
        ("224.0.0.1", "it is a multicast address"),
        ("[ff02::1]", "it is a multicast address"),
        ("240.0.0.1", "it is a private address"),
    ],
)
async def test_the_guard_refuses_internal_addresses_however_spelled(host: str, why: str) -> None:
    refused = await refusal_of(Guard(), host)
    assert refused.message.startswith(f"refused to connect to {host}: it ")
    assert why in refused.message
    allow = f"AUTOMATOR_HTTP_ALLOWED_HOSTS={host.strip('[]')}"
    assert refused.message.endswith(f"allow it with {allow} in the service's environment")


@pytest.mark.parametrize(
    ("guard", "host", "why"),
    [
        (Guard(), "169.254.169.254", "it is a cloud metadata address"),
        (Guard(), "2852039166", "it resolves to 169.254.169.254, a cloud metadata address"),
        (Guard(), "0xa9fea9fe", "it resolves to 169.254.169.254, a cloud metadata address"),
        (
            Guard(),
            "[::ffff:169.254.169.254]",
            "it resolves to ::ffff:a9fe:a9fe, a cloud metadata address (169.254.169.254) "
            "inside an IPv6 address",
        ),
        (Guard(), "[::ffff:a9fe:a9fe]", "a cloud metadata address (169.254.169.254) inside"),
        (Guard(), "[64:ff9b::a9fe:a9fe]", "a cloud metadata address (169.254.169.254) inside"),
        (Guard(), "[fd00:ec2::254]", "it is a cloud metadata address"),
        (Guard(), "100.100.100.200", "it is a cloud metadata address"),
        (Guard(), "168.63.129.16", "it is a cloud metadata address"),
        (Guard(), "metadata.google.internal", "it names a cloud metadata service"),
        (
            stand_in_dns({"rebound.example": ["169.254.169.254"]}),
            "rebound.example",
            "it resolves to 169.254.169.254, a cloud metadata address",
        ),
    ],
)
async def test_a_metadata_services_refusal_offers_no_setting_to_paste(
    guard: Guard, host: str, why: str
) -> None:
    """It hands out the machine's cloud credentials: a ready line such as
    ``AUTOMATOR_HTTP_ALLOWED_HOSTS=169.254.169.254`` (or a name that resolves there), pasted
    by whoever reads a failed step, would let every workflow's webhooks fetch them."""
    refused = await refusal_of(guard, host)
    assert refused.message.startswith(f"refused to connect to {host}: ")
    assert why in refused.message
    assert "AUTOMATOR_HTTP_ALLOWED_HOSTS" not in refused.message
    assert refused.message.endswith("cloud credentials: see docs/security.md first")
    assert guard.refusal_unresolved(host) in (None, refused.message)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("93.184.215.14", "93.184.215.14"),
        ("1572394766", "93.184.215.14"),
        ("[2606:4700:4700::1111]", "2606:4700:4700::1111"),
        ("[::ffff:93.184.215.14]", "::ffff:93.184.215.14"),
    ],
)
async def test_a_public_literal_address_is_allowed_by_the_judge(host: str, address: str) -> None:
    assert await Guard().addresses(host, 443) == [ip_address(address)]


async def test_a_name_resolving_to_any_refused_address_is_refused() -> None:
    guard = stand_in_dns({"mixed.example": ["93.184.215.14", "10.1.2.3"]})
    refused = await refusal_of(guard, "mixed.example")
    assert "mixed.example: it resolves to 10.1.2.3, a private address" in refused.message


async def test_a_public_name_gives_the_addresses_to_connect_to() -> None:
    guard = stand_in_dns({"hooks.example": ["93.184.215.14", "2606:4700:4700::1111"]})
    found = await guard.addresses("Hooks.Example.", 443)
    assert found == [ip_address("93.184.215.14"), ip_address("2606:4700:4700::1111")]


async def test_a_name_that_does_not_resolve_is_a_retryable_error() -> None:
    async def failing(host: str, port: int) -> list[IPAddress]:
        raise OSError("Name or service not known")

    with pytest.raises(ConnectorError) as caught:
        await Guard(resolve=failing).addresses("nowhere.example", 443)
    assert caught.value.retryable
    assert caught.value.message == "cannot resolve nowhere.example: Name or service not known"


async def test_an_allow_listed_name_bypasses_the_guard() -> None:
    guard = stand_in_dns({"hooks.internal": ["10.1.2.3"], "other.internal": ["10.1.2.3"]})
    allowed = Guard(AllowList.parse(["HOOKS.internal"]), guard.resolve)
    assert await allowed.addresses("hooks.internal", 443) == [ip_address("10.1.2.3")]
    await refusal_of(allowed, "other.internal")


async def test_an_allow_listed_address_is_allowed_however_a_url_spells_it() -> None:
    guard = Guard(AllowList.parse(["127.0.0.1", "[::1]"]))
    assert await guard.addresses("2130706433", 80) == [ip_address("127.0.0.1")]
    assert await guard.addresses("localhost", 80)
    assert await guard.addresses("[::1]", 80) == [ip_address("::1")]
    await refusal_of(guard, "127.0.0.2")


async def test_an_allow_listed_network_allows_its_addresses_but_no_metadata_inside_it() -> None:
    guard = Guard(AllowList.parse(["10.0.0.0/8", "169.254.0.0/16"]))
    assert await guard.addresses("10.20.30.40", 80) == [ip_address("10.20.30.40")]
    assert await guard.addresses("169.254.1.1", 80) == [ip_address("169.254.1.1")]
    await refusal_of(guard, "192.168.1.1")
    refused = await refusal_of(guard, "169.254.169.254")
    assert "cloud metadata address" in refused.message


async def test_a_metadata_address_listed_on_its_own_is_allowed() -> None:
    guard = Guard(AllowList.parse(["169.254.169.254"]))
    assert await guard.addresses("169.254.169.254", 80) == [ip_address("169.254.169.254")]


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "", "hooks.internal/8"])
def test_an_allow_list_entry_that_is_no_host_ip_or_network_is_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="AUTOMATOR_HTTP_ALLOWED_HOSTS"):
        AllowList.parse([entry])


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.0.0.0x1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("4294967295", "255.255.255.255"),
    ],
)
def test_legacy_ipv4_spellings_parse_as_inet_aton_reads_them(text: str, address: str) -> None:
    assert ipv4_literal(text) == IPv4Address(address)


@pytest.mark.parametrize(
    "text", ["4294967296", "256.0.0.1", "1.2.3.4.5", "08.0.0.1", "1.2.3.", "+1.2.3.4", "1_0.0.0.1"]
)
def test_other_strings_are_not_ipv4_literals(text: str) -> None:
    assert ipv4_literal(text) is None


def test_public_addresses_have_no_refusal() -> None:
    assert refusal(ip_address("93.184.215.14")) is None
    assert refusal(ip_address("2606:4700:4700::1111")) is None


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ([], "127.0.0.1"),
        ([], "0x7f000001"),
        ([], "[::ffff:10.0.0.1]"),
        ([], "METADATA.google.internal."),
        ([], "169.254.169.254"),
        ([], "93.184.215.14"),
        (["10.0.0.0/8"], "10.1.2.3"),
        (["10.0.0.0/8"], "169.254.169.254"),
        (["2130706433"], "2130706433"),
    ],
)
async def test_a_check_before_resolving_says_what_the_call_would(
    allowed: list[str], host: str
) -> None:
    """``refusal_unresolved`` (the dry run's and validation's answer) and ``addresses`` (the
    call's) judge a host known without resolving it alike: the same refusal (the check's
    saying whose allow-list judged it), or none, and no lookup either way."""

    async def no_lookup(name: str, port: int) -> list[IPAddress]:
        raise AssertionError(f"{name} was resolved")

    guard = Guard(AllowList.parse(allowed), no_lookup)
    said = guard.refusal_unresolved(host)
    assert (said and said.removesuffix(JUDGED_HERE)) == await _call_refusal(guard, host)


async def _call_refusal(guard: Guard, host: str) -> str | None:
    try:
        await guard.addresses(host, 443)
    except AddressRefused as refused:
        return refused.message
    return None
