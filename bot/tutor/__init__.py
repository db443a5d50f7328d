"""The AI tutor: retrieval over the lessons and glossary, guards, an optional chat model.

- retriever.py: BM25 over lesson cards and glossary terms, Vietnamese-aware.
- guards.py: what the tutor will not do, checked before and after the model.
- prompts.py: the prompt files in prompts/, loaded once.
- llm.py: the OpenAI-compatible chat model (langchain), with a hard timeout.
- answerer.py: quota -> guards -> retrieval -> model or offline -> output guard -> reply.
- grader.py: prompt-practice feedback by the rubric in prompts/, when a model is set.
"""
