"""From a voice name (or a language, or nothing) to the engines that can speak it.

The first route is the choice; the rest are its fallback chain, from configuration such as

    fallbacks = {"chatterbox" = ["xtts", "piper:en_US-joe-medium"], "my-clone" = ["piper"]}

keyed by voice name or engine name, each step ``engine`` (same voice name, else the default
voice, else the engine's first voice) or ``engine:voice``. Only live engines that accept
requests take part, so a dead or paused engine is simply skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.client.discovery import Discovery, VoiceRoute
from hub.contract.errors import VoiceNotFoundError


@dataclass(frozen=True)
class FallbackStep:
    engine: str
    voice: str | None = None

    @classmethod
    def parse(cls, text: str) -> FallbackStep:
        engine, _, voice = text.partition(":")
        return cls(engine.strip(), voice.strip() or None)


class Router:
    def __init__(
        self, discovery: Discovery, default_voice: str, fallbacks: dict[str, list[str]]
    ) -> None:
        self.discovery = discovery
        self.default_voice = default_voice
        self.fallbacks = {
            key: [FallbackStep.parse(step) for step in steps] for key, steps in fallbacks.items()
        }

    def routes(
        self, voice: str | None = None, *, language: str | None = None, engine: str | None = None
    ) -> list[VoiceRoute]:
        """The chosen route first, then its live fallbacks; VoiceNotFoundError if none."""
        live = self.discovery.routes()
        chain: list[VoiceRoute] = []
        missing: VoiceNotFoundError | None = None
        try:
            chain.append(self._choose(live, voice, language, engine))
        except VoiceNotFoundError as error:
            missing = error
        keys = [voice or (chain[0].voice.name if chain else self.default_voice)]
        keys.append(engine or (chain[0].engine if chain else ""))
        for key in keys:
            for step in self.fallbacks.get(key, []):
                route = self._step_route(live, step, voice)
                if route is not None and route not in chain:
                    chain.append(route)
        if not chain:
            assert missing is not None
            raise missing
        return chain

    def _choose(
        self, live: list[VoiceRoute], voice: str | None, language: str | None, engine: str | None
    ) -> VoiceRoute:
        candidates = [r for r in live if engine is None or r.engine == engine]
        if voice:
            for route in sorted(candidates, key=lambda r: -self.discovery.workers_of(r.engine)):
                if route.voice.name == voice:
                    return route
            raise VoiceNotFoundError(voice, [r.voice.name for r in candidates])
        if language:
            best = best_for_language(candidates, language, self.default_voice)
            if best is None:
                names = [r.voice.name for r in candidates]
                raise VoiceNotFoundError(f"(language {language})", names)
            return best
        return self._choose(live, self.default_voice, None, engine)

    def _step_route(
        self, live: list[VoiceRoute], step: FallbackStep, wanted: str | None
    ) -> VoiceRoute | None:
        on_engine = [r for r in live if r.engine == step.engine]
        for name in (step.voice, wanted, self.default_voice):
            for route in on_engine:
                if name and route.voice.name == name:
                    return route
        if step.voice is None and on_engine:
            return on_engine[0]
        return None


def best_for_language(routes: list[VoiceRoute], language: str, default: str) -> VoiceRoute | None:
    wanted = language.replace("-", "_").lower()
    family = wanted.split("_", 1)[0]

    def score(route: VoiceRoute) -> tuple[int, int]:
        codes = [code.replace("-", "_").lower() for code in route.voice.languages]
        exact = wanted in codes
        same_family = any(code.split("_", 1)[0] == family for code in codes)
        return (2 if exact else 1 if same_family else 0, int(route.voice.name == default))

    scored = [(score(route), route) for route in routes]
    scored = [item for item in scored if item[0][0] > 0]
    if not scored:
        return None
    return max(scored, key=lambda item: item[0])[1]
