"""All tables; importing this module registers them on `Base.metadata` (Alembic's target)."""

from backend.models.api_state import CircuitBreakerState
from backend.models.base import Base
from backend.models.check import ClientCheck
from backend.models.client_profile import ClientProfile
from backend.models.conversation import Message, PracticeSession, UnsentMessage
from backend.models.drill import DrillAssignment, DrillAttempt, DrillSet, DrillSetItem
from backend.models.event import Event
from backend.models.job import Job
from backend.models.memory import ClientMemory
from backend.models.problem_report import ProblemReport
from backend.models.rating import MessageRating, RatingTally, SessionRating
from backend.models.review import ReviewBatch, Rubric, RubricVersion, SessionReview
from backend.models.section import Assignment, AssignmentClient, Enrollment, Section
from backend.models.usage import ClientDailyUsage, ClientUsageIncrement, ClosedHour, DailyUsage
from backend.models.user import Installation, LoginSession, SignInDomain, User

__all__ = [
    "Assignment",
    "AssignmentClient",
    "Base",
    "PracticeSession",
    "Rubric",
    "RubricVersion",
    "CircuitBreakerState",
    "ClientCheck",
    "ClientMemory",
    "ClientDailyUsage",
    "ClientUsageIncrement",
    "ClientProfile",
    "ClosedHour",
    "DailyUsage",
    "DrillAssignment",
    "DrillAttempt",
    "DrillSet",
    "DrillSetItem",
    "Enrollment",
    "Event",
    "RatingTally",
    "Installation",
    "Job",
    "LoginSession",
    "Message",
    "MessageRating",
    "ProblemReport",
    "ReviewBatch",
    "Section",
    "SessionRating",
    "SessionReview",
    "UnsentMessage",
    "SignInDomain",
    "User",
]
