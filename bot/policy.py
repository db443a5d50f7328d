"""What the province's reports count. Change these only with the programme's owners.

- **Trained** (đã học xong phần cơ bản): every lesson of the core modules completed, i.e.
  each lesson's quiz finished at least once. Core modules are those for all learners
  (`groups: [all]` in module.yaml: M1–M5).
- **Proficient** (thành thạo): passed a final assessment of their track with at least
  PASS_PERCENT of the answers right. The track is the modules for the learner's group
  (core + M6 for public servants, M7 for business owners, M8 for tea farmers).
- The final assessment draws ASSESSMENT_QUESTIONS questions from the track's
  final-assessment bank (each module's exam.yaml: questions no lesson quiz shows), one
  counted answer per question, no credit for questions left unanswered, and a retake
  only after ASSESSMENT_COOLDOWN.
"""

from datetime import timedelta

from lessons.limits import ALL_GROUPS
from lessons.loader import Catalog

ASSESSMENT_QUESTIONS = 15
PASS_PERCENT = 80
ASSESSMENT_COOLDOWN = timedelta(hours=24)


def core_lessons(catalog: Catalog) -> list[str]:
    return [lid for m in catalog.modules if ALL_GROUPS in m.groups for lid in m.lessons]


def is_trained(catalog: Catalog, completed: set[str]) -> bool:
    core = core_lessons(catalog)
    return bool(core) and all(lid in completed for lid in core)


def passed(score: int, total: int) -> bool:
    return total > 0 and score * 100 >= PASS_PERCENT * total
