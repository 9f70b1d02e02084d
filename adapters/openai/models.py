"""``GET /v1/models`` and ``GET /v1/models/{id}``: the model names ``model`` accepts.

OpenAI's speech models (``tts-1`` ...) are listed with the engine they route to (null: any
engine), then every engine on the bus under its own name.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from adapters.openai.auth import require_scope
from adapters.openai.context import AdapterContext, Context
from adapters.openai.errors import ApiError
from adapters.openai.schemas import ModelCard, ModelList

router = APIRouter(prefix="/v1", tags=["models"], dependencies=[Depends(require_scope("speak"))])


def _cards(ctx: AdapterContext) -> list[ModelCard]:
    return [
        ModelCard(id=model, created=ctx.created, owned_by="voicebus", engine=engine)
        for model, engine in ctx.catalog.models().items()
    ]


@router.get("/models", summary="List models", response_model=ModelList)
async def list_models(ctx: Context) -> ModelList:
    return ModelList(data=_cards(ctx))


@router.get("/models/{model_id}", summary="Retrieve a model", response_model=ModelCard)
async def get_model(model_id: str, ctx: Context) -> ModelCard:
    for card in _cards(ctx):
        if card.id == model_id:
            return card
    raise ApiError(
        404,
        f"The model {model_id!r} does not exist. Models: {', '.join(ctx.catalog.models())}.",
        code="model_not_found",
        param="model",
    )
