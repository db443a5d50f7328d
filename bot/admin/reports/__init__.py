"""The province's targets report, and the per-learner progress query behind exports.

"Trained" and "proficient" are bot/policy.py's definitions, written here as SQL:
- trained: completed (lesson_progress.completed_at set) every core lesson
  (`policy.core_lessons`);
- proficient: a finished final assessment of the learner's track with `passed` set
  (which `policy.passed` decided when the attempt finished).

Counting is done by the database: one GROUP BY over (group, commune, unit) gives at most a
few thousand rows, from which every view (province, a commune, a unit) is summed up. A
learner counts once onboarding is finished (status other than "onboarding").

The province's targets, as computed, are in targets.py.

Modules: targets.py (the targets and definitions), conditions.py (which learners count),
queries.py (the SQL), shapes.py (the report's rows), build.py (a scope's report from the
snapshot), service.py (ReportService: the cached snapshot), trend.py (the weekly trend).
"""
