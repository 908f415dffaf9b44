"""Display helpers shared by pages, exports and the CLI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from backend.utils.text import reads_as


def format_usd(amount: Decimal | int | None, *, unpriced_label: str = "unpriced") -> str:
    """Dollars with enough digits to be meaningful: $12.34, $0.0123, $0.000042."""
    if amount is None:
        return unpriced_label
    amount = Decimal(amount)
    if amount == 0:
        return "$0.00"
    steps = (Decimal("0.000001"), Decimal("0.0001"), Decimal("0.01"))
    # The places by the amount's size, then by the rounded amount: $0.99996 is "$1.00", not
    # "$1.0000" (a huge amount is never rounded to millionths, which Decimal cannot hold).
    step = next((i for i, places in enumerate(steps) if abs(amount) < places * 10_000), 2)
    with localcontext() as exact:  # as many digits as the amount has (1e30 too)
        exact.prec = max(28, amount.adjusted() + 10)
        shown = amount.quantize(steps[step], rounding=ROUND_HALF_UP)
        if step < 2 and abs(shown) >= steps[step] * 10_000:
            shown = amount.quantize(steps[step + 1], rounding=ROUND_HALF_UP)
    return f"${shown}"


def cost_with_unpriced(cost: Decimal | None, unpriced: int) -> str:
    """A conversation's cost where some replies had no price: "$0.01 + 2 unpriced", never a bare
    "$0.00" for a cost that is unknown (an attack, 2026-12-07)."""
    return f"{format_usd(cost)} + {unpriced} unpriced" if unpriced else format_usd(cost)


def format_tokens(count: int) -> str:
    """1234 -> '1,234'; 1234567 -> '1.23M'."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}M"
    return f"{count:,}"


def round_half_up(value: float | Fraction, places: int = 0) -> Decimal:
    """`value` to `places` decimals, a half up, as a person rounds what they read: a float from
    its shortest decimal form, so 0.575 is 0.575 (not 0.57499...), and 71.25 is 71.3 (`round`
    gives the even 71.2); a Fraction (an exact mean: 225/4) as it is."""
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else Decimal(repr(value))
    )
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_share(share: float) -> str:
    """A share as a whole percent that never rounds into all or nothing: 199 of 200 is '>99%',
    1 of 1,000 is '<1%'; only exactly all is '100%' and exactly none '0%'."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{round_half_up(share, 2).scaleb(2):f}%"


def format_near_bounds(value: float, low: float, high: float = float("inf")) -> str:
    """A figure to 2 places that never rounds onto a bound it is not at: a kappa of 0.996 is
    '>0.99' (1.00 claims perfect agreement), a mean difference of 0.004 is '<0.01'."""
    if high - 0.005 <= value < high:
        return f">{high - 0.01:.2f}"
    if low < value < low + 0.005:
        return f"<{low + 0.01:.2f}"
    return f"{round_half_up(value, 2):.2f}"


def format_duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 session', '2 sessions', '1,200 replies' (with `plural_form` where adding s is wrong)."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def format_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


@dataclass(frozen=True)
class Named:
    """A row of a table people read by name: what it is (`key`: an id), its name, and whose it
    is (a username: the person's own, or the teacher's of a section or client), which tells two
    rows of one name apart."""

    key: object
    name: str
    whose: str


def told_apart(rows: list[Named]) -> list[str]:
    """Each row's name; "name (whose)" where two rows share a name as it reads (capitals,
    accents' encoding and spaces aside: a typed and a pasted "Écoute" had been two identical
    choices), and "#key" if they still do: one teacher's two clients of one name."""
    names = Counter(reads_as(row.name) for row in rows)
    labels = [
        f"{row.name} ({row.whose})" if names[reads_as(row.name)] > 1 else row.name for row in rows
    ]
    shown = Counter(reads_as(label) for label in labels)
    return [
        f"{label} #{row.key}" if shown[reads_as(label)] > 1 else label
        for label, row in zip(labels, rows, strict=True)
    ]


def whose_client(owner_username: str, archived: bool) -> str:
    """How a client is told from another of its name: its teacher's username, and "archived"
    (a teacher's rewrite beside the client it replaces)."""
    return f"{owner_username}, archived" if archived else owner_username
