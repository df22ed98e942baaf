"""CPU per notice of the delivery process: the code before issue 11's CPU work against now.

    .venv/bin/python -m bench.notifier_cpu [--notices 400] [--rounds 2]

Starts a throwaway PostgreSQL 15 (fsync on) and an SMTP sink (aiosmtpd, its own process, so its
CPU is not counted), requests `--notices` order confirmations by e-mail per round and phase, then
drains them with one in-process `Notifier` and prints its process CPU time (all threads) over the
notices it sent. Each round runs every phase on the same database, in rotating order so that
drift hits all of them; each phase adds one change to the one before it:
- `before`: messages built with the stdlib compat32 `MIMEText` (every address parsed on every
  message), the notification loaded again to record it sent, each order and customer read on
  its own, each command's receipt looked for before its write;
- `builder`: the bytes `delivery.channels.mime.email_bytes` writes;
- `known`: the sent outcome recorded from the process's own copy of the notification, no load;
- `reads`: a pass's orders and customers read together (`delivery/pass_reads.py`);
- `receipts`: and the receipts looked for once a pass for its requests, and not at all before
  the sent command's write (`precheck_unless`: a repeat is found by the write itself);
- `folded`: and the notices view writing a batch's changes to one notification as one row
  (`projections/views/notice_rows.py`), not one statement an event;
- `now`: and the SMTP exchange without a NOOP before each message, the envelope's addresses
  quoted once per address (`delivery/channels/smtp.py`), not by smtplib's `sendmail` each time.
Then the two builders alone, timed on the same rendered messages. Figures as ratios to `before`.
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from uuid import UUID

from application.app import CareLedger
from application.batch_reads import requested_before
from application.handling import Outcome
from application.settings import Settings
from bench.machine import describe
from bench.notifications import meta, prepare
from delivery import notifier as notifier_module
from delivery.channels import smtp
from delivery.channels.base import ChannelKind, Message
from delivery.channels.mime import DEFAULT_SENDER, email_bytes, message_id
from delivery.channels.registry import channels_from_settings
from delivery.channels.smtp import SmtpChannel
from delivery.notifier import Notifier
from delivery.service import build_notifier
from domain.meta import Meta
from domain.notification import Notification
from projections.engine.projection import Envelope
from projections.engine.reading import epoch
from projections.engine.store import Tx, open_view_store
from projections.views.notice_rows import changes
from projections.views.notices import NOTIFICATION_EVENTS, NoticesProjection
from testing.postgres_server import PostgresServer, free_port

Builder = Callable[[Message, str, str], bytes]
_WIRE = compat32.clone(linesep="\r\n")
SINK = "aiosmtpd.handlers.Sink"


def compat32_bytes(message: Message, sender: str, to: str) -> bytes:
    """The builder before: stdlib compat32 classes, every address parsed on every message."""
    mail = MIMEText(message.body, "plain", "utf-8", policy=_WIRE)
    mail["From"] = _address(sender)
    mail["To"] = _address(to)
    mail["Subject"] = Header(message.subject, "utf-8")  # type: ignore[assignment]
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(message)
    mail["Content-Language"] = message.locale
    mail["X-CareLedger-Channel"] = str(message.channel)
    mail["X-CareLedger-Kind"] = message.kind
    if message.urgent:
        mail["Importance"] = "high"
    return mail.as_bytes()


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if name else address


@dataclass(frozen=True)
class Phase:
    name: str
    builder: Builder
    known: bool
    pass_reads: bool
    precheck: bool
    folded: bool = True
    noop: bool = True


PHASES = [
    Phase("before", compat32_bytes, known=False, pass_reads=False, precheck=True, folded=False),
    Phase("builder", email_bytes, known=False, pass_reads=False, precheck=True, folded=False),
    Phase("known", email_bytes, known=True, pass_reads=False, precheck=True, folded=False),
    Phase("reads", email_bytes, known=True, pass_reads=True, precheck=True, folded=False),
    Phase("receipts", email_bytes, known=True, pass_reads=True, precheck=False, folded=False),
    Phase("folded", email_bytes, known=True, pass_reads=True, precheck=False),
    Phase("now", email_bytes, known=True, pass_reads=True, precheck=False, noop=False),
]
NEW_DELIVER = SmtpChannel._deliver


def noop_then_sendmail(channel: SmtpChannel, data: bytes, to: str) -> None:
    """The SMTP exchange before: a NOOP before each message, then smtplib's `sendmail`."""
    connection = channel._connection
    sender = channel._envelope_sender  # "<addr>": sendmail quotes it again, as it did
    if connection is not None:
        try:
            alive = connection.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            alive = False
        if alive:
            connection.sendmail(sender, [to], data)
            return
    channel._drop()
    channel._connection = connection = channel._connect()
    connection.sendmail(sender, [to], data)


def statement_an_event(tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
    """The notices view before: one INSERT or UPDATE for every notification event."""
    for envelope in batch:
        name, event = envelope.name, envelope.event
        if name == "NotificationRequested" or name not in NOTIFICATION_EVENTS:
            NoticesProjection.process(notices_view, tx, prefix, [envelope])  # one statement
            continue
        columns = changes(name, event, epoch(event.meta.occurred_at))
        sets = ", ".join(f"{column} = ?" for column in columns)
        tx.execute(
            f"UPDATE {prefix}queue SET {sets} WHERE notification_id = ?",
            (*columns.values(), str(event.originator_id)),
        )


notices_view = NoticesProjection()


def as_in(phase: Phase, app: CareLedger, notifier: Notifier) -> None:
    """Puts back what `phase` does not have yet (undone by `restore`)."""
    vars(smtp)["email_bytes"] = phase.builder  # what SmtpChannel.send calls
    record = app.record_notification_sent

    def recorded(m: Meta, nid: UUID, n: int, p: str, known: Notification | None = None) -> Outcome:
        if phase.precheck:  # the look-up the decorator made before any work
            app.receipts.select_receipt(m.command_id)
        return record(m, nid, n, p, known if phase.known else None)

    vars(app)["record_notification_sent"] = recorded
    if phase.precheck:  # each request looks for its own receipt, none for the pass's
        request = app.request_notification
        vars(app)["request_notification"] = lambda *a, receipt_checked=False: request(*a)
        vars(notifier_module)["requested_before"] = lambda recorder, ids: set()
    if not phase.pass_reads:  # the pass reads nothing: each aggregate is loaded on its own
        vars(notifier.reads)["read"] = lambda ids: {}
    if not phase.folded:
        vars(notifier.runner.projection)["process"] = statement_an_event
    if phase.noop:
        setattr(SmtpChannel, "_deliver", noop_then_sendmail)  # noqa: B010 (mypy: a method)


def restore(app: CareLedger, notifier: Notifier) -> None:
    vars(smtp)["email_bytes"] = email_bytes
    vars(app).pop("record_notification_sent", None)
    vars(app).pop("request_notification", None)
    vars(notifier_module)["requested_before"] = requested_before
    vars(notifier.reads).pop("read", None)
    vars(notifier.runner.projection).pop("process", None)
    setattr(SmtpChannel, "_deliver", NEW_DELIVER)  # noqa: B010


def drain(app: CareLedger, notifier: Notifier, count: int, phase: Phase) -> float:
    """CPU ms per notice of sending `count` freshly requested confirmations in `phase`."""
    _, orders = prepare(app, count)
    while notifier.run_once():
        pass
    for order_id in orders:
        app.send_order_confirmation(meta(), order_id, "email")
    as_in(phase, app, notifier)
    try:
        started = time.process_time()
        while notifier.run_once():
            pass
        return (time.process_time() - started) * 1000 / count
    finally:
        restore(app, notifier)


def builders_alone(count: int) -> dict[str, float]:
    """µs a message for each builder on the same messages (Chinese subject and body)."""
    messages = [
        Message(
            id=f"00000000-0000-4000-8000-{n:012d}",
            channel=ChannelKind.EMAIL,
            to="b@bench.test",
            subject=f"您的订单 {n} 已确认",
            body=f"尊敬的顾客\uff0c您的订单 {n} 已确认\uff0c预计 30 分钟内送达。\n感谢您的惠顾。\n",
            kind="order_confirmation",
        )
        for n in range(count)
    ]
    timings = {}
    for name, builder in (("compat32", compat32_bytes), ("direct", email_bytes)):
        started = time.process_time()
        for message in messages:
            builder(message, DEFAULT_SENDER, message.to)
        timings[name] = (time.process_time() - started) * 1e6 / count
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(describe())
    server = PostgresServer(durable=True).start()
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", SINK]
    )
    time.sleep(1.0)
    try:
        settings = Settings(
            database_url=server.url,
            data_dir=Path(tempfile.mkdtemp()),
            master_key=b"m" * 32,
            smtp_url=f"smtp://127.0.0.1:{port}",
            quiet_hours=None,
        )
        app = CareLedger(settings)
        store = open_view_store(settings)
        notifier = build_notifier(app, store, settings, channels_from_settings(settings))
        drain(app, notifier, 50, PHASES[-1])  # warm up: connections, caches, the view
        cpu: dict[str, list[float]] = {phase.name: [] for phase in PHASES}
        for round_ in range(args.rounds):
            turn = round_ % len(PHASES)
            for phase in PHASES[turn:] + PHASES[:turn]:
                cpu[phase.name].append(drain(app, notifier, args.notices, phase))
                figure = cpu[phase.name][-1]
                print(f"round {round_ + 1} {phase.name:8} {figure:.2f} ms CPU a notice")
        notifier.close()
        store.close()
        app.close()
    finally:
        sink.terminate()
        server.stop()
    median = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"delivery process, CPU a notice (median of {args.rounds} rounds of {args.notices}):")
    for name, value in median.items():
        print(f"  {name:8} {value:.2f} ms, ratio to before {value / median['before']:.2f}")
    alone = builders_alone(2000)
    ratio = alone["direct"] / alone["compat32"]
    print(
        f"builders alone, 2000 messages: compat32 {alone['compat32']:.0f} µs, "
        f"direct {alone['direct']:.0f} µs a message, ratio {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
