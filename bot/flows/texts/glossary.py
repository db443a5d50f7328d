"""Words of the glossary (bot/flows/glossary.py)."""


def index(count: int, names: str) -> str:
    return (
        f"📖 Từ điển AI có {count} từ: {names}.\n\nBạn gõ một từ để xem giải thích, ví dụ: ảo giác."
    )


def entry(term: str, definition: str) -> str:
    return f"📖 {term}: {definition}"
