"""Everything that talks to the model API: the only package that imports `anthropic`."""

from backend.llm.breaker import BreakerState
from backend.llm.errors import ErrorCategory, GatewayError, classify
from backend.llm.gateway import (
    Health,
    HealthStatus,
    LLMGateway,
    StructuredAnswer,
    SystemBlock,
    get_gateway,
    reset_gateway,
)
from backend.llm.usage import Completion

__all__ = [
    "BreakerState",
    "Completion",
    "ErrorCategory",
    "GatewayError",
    "Health",
    "HealthStatus",
    "LLMGateway",
    "StructuredAnswer",
    "SystemBlock",
    "classify",
    "get_gateway",
    "reset_gateway",
]
