"""``/v1/voices``: the voice library for cloning engines (upload, list, rename, delete).

Not part of OpenAI's speech API: a voicebus extension. A clip uploaded here is stored in
JetStream (see hub/store/library.py), in the hub client's ``voice_bucket``
(``VOICEBUS_VOICE_BUCKET``, the bucket the engines read), and becomes a voice of every cloning
engine on the bus, usable by name from every adapter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from pydantic import BaseModel

from adapters.openai.auth import require_scope
from adapters.openai.context import Context
from hub.store.library import MAX_UPLOAD_BYTES, ClonedVoiceMeta

# Reading the library is part of speaking (pick a cloned voice): speak or voices; changing
# it needs voices.
router = APIRouter(
    prefix="/v1",
    tags=["voice library"],
    dependencies=[Depends(require_scope("speak", "voices"))],
)
_WRITE = [Depends(require_scope("voices"))]


class ClonedVoiceList(BaseModel):
    object: str = "list"
    data: list[ClonedVoiceMeta]


class Rename(BaseModel):
    name: str


@router.post(
    "/voices",
    summary="Upload a reference clip as a cloned voice",
    status_code=201,
    dependencies=_WRITE,
)
async def add_voice(
    ctx: Context,
    name: Annotated[str, Form(description="Voice name: letters, digits, '_', '-', '.'.")],
    file: Annotated[UploadFile, File(description="3 to 30 s of one speaker (wav, mp3, ...).")],
    transcript: Annotated[str | None, Form()] = None,
    language: Annotated[str | None, Form()] = None,
) -> ClonedVoiceMeta:
    clip = await file.read(MAX_UPLOAD_BYTES + 1)  # the library refuses what is too large
    library = await ctx.hub.library()
    return await library.add(name, clip, transcript, language)


@router.get("/voices", summary="List cloned voices", response_model=ClonedVoiceList)
async def list_clones(ctx: Context) -> ClonedVoiceList:
    return ClonedVoiceList(data=await (await ctx.hub.library()).list())


@router.get(
    "/voices/{name}/audio",
    summary="The stored reference clip of a cloned voice (mono 16-bit WAV)",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def voice_clip(ctx: Context, name: str) -> Response:
    clip = await (await ctx.hub.library()).get_clip(name)
    return Response(clip, media_type="audio/wav")


@router.post("/voices/{name}/rename", summary="Rename a cloned voice", dependencies=_WRITE)
async def rename_voice(ctx: Context, name: str, body: Rename) -> ClonedVoiceMeta:
    return await (await ctx.hub.library()).rename(name, body.name)


@router.delete(
    "/voices/{name}", summary="Delete a cloned voice", status_code=204, dependencies=_WRITE
)
async def delete_voice(ctx: Context, name: str) -> None:
    await (await ctx.hub.library()).delete(name)
