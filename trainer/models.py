"""Import every model so Base.metadata is complete (Alembic, tests)."""
from trainer.audit import AuditLog  # noqa: F401
from trainer.auth.models import Unit, User, supervisor_units  # noqa: F401
from trainer.laws.models import Article, Chapter, Law, LawChange  # noqa: F401
from trainer.study.models import Course, Module, ModuleProgress  # noqa: F401
from trainer.db import Base  # noqa: F401
from trainer.banks.models import Bank, Citation, Question, QuestionReview  # noqa: F401,E402
from trainer.practice.models import (ArticleStat, Favorite, PracticeCursor, PracticeItem,  # noqa: F401,E402
                                     PracticeSession, ReviewCard)
from trainer.exams.models import (Attempt, AttemptItem, Exam, ExamInvite, ExamOverride,  # noqa: F401,E402
                                  FocusEvent)
from trainer.reports.models import Drive, drive_courses, drive_exams  # noqa: F401,E402
