"""Notice templates as data (`templates.toml`, or a file of your own), rendered in a sandbox.

A template is chosen when a notice is requested (the newest version for its kind in the
customer's locale, else the platform's) and that version renders it at send time, however many
versions were added since. Rendering is Jinja2's `SandboxedEnvironment` with strict variables:
a template that reads an unsafe attribute, a missing parameter or a syntax error is a
`TemplateFailure` of that one notification, never an error of the process.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jinja2
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from domain.notification import NoticeKind

BUILT_IN = Path(__file__).with_name("templates.toml")
PLATFORM_LOCALE = "zh-CN"


class TemplateFailure(Exception):
    """The notice cannot be rendered; `reason` names the template and what went wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemplatesError(ValueError):
    """The templates file is malformed: the service does not start with it."""


@dataclass(frozen=True)
class Template:
    kind: NoticeKind
    locale: str
    version: int
    subject: str
    body: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.locale}/v{self.version}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


class Templates:
    def __init__(self, templates: Iterable[Template], platform_locale: str = PLATFORM_LOCALE):
        self.platform_locale = platform_locale
        self._cache: dict[str, jinja2.Template] = {}
        self._by_key: dict[tuple[str, str, int], Template] = {}
        for template in templates:
            key = (template.kind, template.locale, template.version)
            if key in self._by_key:
                raise TemplatesError(f"template {template.key} is defined twice")
            self._by_key[key] = template
        missing = [
            kind
            for kind in NoticeKind
            if not any(k == kind and loc == platform_locale for k, loc, _ in self._by_key)
        ]
        if missing:
            raise TemplatesError(f"no {platform_locale} template for: {', '.join(sorted(missing))}")

    @classmethod
    def load(cls, *paths: Path, platform_locale: str = PLATFORM_LOCALE) -> Templates:
        """The built-in templates, plus (adding versions or locales) those of `paths`."""
        entries: list[Template] = []
        for path in (BUILT_IN, *paths):
            entries.extend(_read(path))
        return cls(entries, platform_locale)

    def choose(self, kind: str, locale: str | None) -> Template:
        """The newest version for `kind` in `locale`, else in the platform's locale."""
        for wanted in (locale, self.platform_locale):
            versions = [t for (k, loc, _), t in self._by_key.items() if k == kind and loc == wanted]
            if versions:
                return max(versions, key=lambda t: t.version)
        raise TemplateFailure(f"no template for {kind}")

    def get(self, kind: str, locale: str, version: int) -> Template:
        template = self._by_key.get((kind, locale, version))
        if template is None:
            raise TemplateFailure(f"template {kind}/{locale}/v{version} is not defined")
        return template

    def render(self, template: Template, params: Mapping[str, str]) -> Rendered:
        try:
            subject = self._compiled(template.subject).render(params)
            body = self._compiled(template.body).render(params)
        except TemplateError as error:
            raise TemplateFailure(f"{template.key}: {type(error).__name__}: {error}") from None
        # a header must be one line, whatever the parameters held
        return Rendered(subject=" ".join(subject.split()), body=body)

    @cached_property
    def _env(self) -> SandboxedEnvironment:
        return _environment()

    def _compiled(self, source: str) -> jinja2.Template:
        compiled = self._cache.get(source)
        if compiled is None:
            compiled = self._cache[source] = self._env.from_string(source)
        return compiled


def _read(path: Path) -> list[Template]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TemplatesError(f"{path}: {error}") from None
    env = _environment()
    found = []
    for n, entry in enumerate(data.get("template", []), 1):
        try:
            template = Template(
                kind=NoticeKind(entry["kind"]),
                locale=str(entry["locale"]),
                version=int(entry["version"]),
                subject=str(entry["subject"]),
                body=str(entry["body"]),
            )
        except (KeyError, ValueError, TypeError) as error:
            raise TemplatesError(f"{path}: template {n}: {error!r}") from None
        if template.version < 1:
            raise TemplatesError(f"{path}: template {template.key}: version must be 1 or more")
        for source in (template.subject, template.body):
            try:
                env.parse(source)
            except TemplateError as error:
                raise TemplatesError(f"{path}: template {template.key}: {error}") from None
        found.append(template)
    return found
