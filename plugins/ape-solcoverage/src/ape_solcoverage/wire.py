"""msgspec decoders for the trace answers (imported only when tracing)."""

import msgspec


class Step(msgspec.Struct):
    """One structLogs step; other fields (gas, gasCost, refund) are skipped unparsed."""

    pc: int
    op: str
    depth: int


class StructResult(msgspec.Struct):
    structLogs: list[Step] = []


class Envelope(msgspec.Struct):
    id: int
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: dict | None = None


decode_batch = msgspec.json.Decoder(list[Envelope]).decode
decode_struct = msgspec.json.Decoder(StructResult).decode
decode_any = msgspec.json.Decoder().decode
encode = msgspec.json.encode
