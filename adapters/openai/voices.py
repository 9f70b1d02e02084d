"""``GET /v1/audio/voices``: every voice on the bus and the aliases that name it.

Not part of OpenAI's API: a listing for people and UIs, with each voice's engine, languages,
speakers, sample rate and whether it clones, plus the OpenAI voice names mapped to it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from adapters.openai.auth import require_scope
from adapters.openai.context import Context
from adapters.openai.schemas import VoiceCard, VoiceList

# Listing voices is part of speaking (a client picks a voice first): speak or voices.
router = APIRouter(
    prefix="/v1", tags=["voices"], dependencies=[Depends(require_scope("speak", "voices"))]
)


@router.get("/audio/voices", summary="List voices and aliases", response_model=VoiceList)
async def list_voices(ctx: Context) -> VoiceList:
    cards = [
        VoiceCard(
            id=route.voice.name,
            name=route.voice.name,
            engine=route.engine,
            languages=list(route.voice.languages),
            speakers=list(route.voice.speakers),
            sample_rate=route.voice.sample_rate,
            clones=route.voice.clones,
            description=route.voice.description,
            aliases=ctx.catalog.aliases_of(route.voice.name),
        )
        for route in ctx.hub.voices()
    ]
    return VoiceList(data=cards, aliases=ctx.catalog.voice_aliases())
