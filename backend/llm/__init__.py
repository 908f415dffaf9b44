"""Everything that talks to the model API: the only package that imports `anthropic`."""

from backend.llm.breaker import BreakerState
from backend.llm.errors import ErrorCategory, GatewayError, classify
from backend.llm.gateway import (
    Completion,
    Health,
    HealthStatus,
    LLMGateway,
    StructuredAnswer,
    SystemBlock,
    get_gateway,
    reset_gateway,
)

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
