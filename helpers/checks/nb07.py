"""Self-checks for notebook 07 (LangChain): a prompt template, a chain, and a similarity search."""

from __future__ import annotations

from . import failed, is_placeholder, never_raises, not_started, passed

PROMPT_VARIABLES = ("domain", "text")
SAMPLE = {"domain": "«DOMAIN»", "text": "«TEXT»"}


def _render(prompt) -> str:
    """The text of a prompt template filled with the sample values (chat templates: all messages joined)."""
    from langchain_core.prompts import BaseChatPromptTemplate

    if isinstance(prompt, BaseChatPromptTemplate):
        return "\n".join(str(m.content) for m in prompt.format_messages(**SAMPLE))
    return prompt.format(**SAMPLE)


@never_raises
def check_prompt(answer) -> bool:
    """`answer`: a PromptTemplate / ChatPromptTemplate with the variables `domain` and `text`, naming both labels."""
    if is_placeholder(answer):
        return not_started("prompt")
    from langchain_core.prompts import BasePromptTemplate

    if isinstance(answer, str):
        return failed(
            "`prompt` is a plain string, not a prompt template.",
            'Wrap it: `PromptTemplate.from_template("... {domain} ... {text} ...")`.',
        )
    if not isinstance(answer, BasePromptTemplate):
        return failed(
            f"`prompt` should be a LangChain prompt template, not {type(answer).__name__}.",
            "Use `PromptTemplate.from_template(...)` or `ChatPromptTemplate.from_messages(...)`.",
        )
    found = set(answer.input_variables)
    missing = [v for v in PROMPT_VARIABLES if v not in found]
    extra = sorted(found - set(PROMPT_VARIABLES))
    if missing:
        hint = "Write the variables in braces, `{domain}` and `{text}`, in a normal string."
        if not found:
            hint += " In an f-string Python fills the braces at once, so the template has no variables left."
        return failed(
            f"The template has no variable {', '.join(repr(m) for m in missing)} (it has {sorted(found) or 'none'}).",
            hint,
        )
    if extra:
        return failed(
            f"The template has extra variables {extra}: the chain would ask for them too.",
            "Keep exactly `{domain}` and `{text}`; write literal braces as `{{` and `}}`.",
        )
    try:
        rendered = _render(answer)
    except Exception as e:  # noqa: BLE001
        return failed(f"Formatting the template failed: {type(e).__name__}: {str(e).strip()[:200]}")
    lowered = rendered.lower()
    if "positive" not in lowered or "negative" not in lowered:
        return failed(
            "The prompt does not name the two answers the model may give.",
            "Say it in words, e.g. '... Answer with one word: positive or negative.'",
        )
    return passed(
        f"A {type(answer).__name__} with the variables {sorted(found)}. Filled in, it reads:\n"
        + "\n".join("   " + line for line in rendered.splitlines())
    )


@never_raises
def check_chain(answer, example: dict | None = None) -> bool:
    """`answer`: a runnable chain (prompt | model | StrOutputParser()) that turns {domain, text} into a string."""
    if is_placeholder(answer):
        return not_started("chain")
    from langchain_core.runnables import Runnable

    if not isinstance(answer, Runnable):
        if isinstance(answer, str):
            return failed(
                "`chain` is a string: that looks like the result of `chain.invoke(...)`.",
                "Assign the chain itself: `chain = prompt | llm | StrOutputParser()`.",
            )
        return failed(
            f"`chain` should be a LangChain runnable, not {type(answer).__name__}.",
            "Join the pieces with `|`: `prompt | llm | StrOutputParser()`.",
        )
    example = example or {"domain": "movie reviews", "text": "A moving, beautifully acted film."}
    try:
        out = answer.invoke(example)
    except KeyError as e:
        return failed(
            f"The chain asked for a variable the input does not have: {e}.",
            "Start the chain with your prompt from Exercise 1 (variables `domain` and `text`).",
        )
    except Exception as e:  # noqa: BLE001
        first = (str(e).strip().splitlines() or [""])[0][:200]
        return failed(
            f"Running the chain failed: {type(e).__name__}: {first}",
            "The order matters: prompt first, then the model, then the output parser.",
        )
    if not isinstance(out, str):
        return failed(
            f"The chain's output is of type {type(out).__name__}, not str.", "End the chain with `StrOutputParser()`."
        )
    if not out.strip():
        return failed("The chain returns an empty string.", "Check `max_new_tokens` and `return_full_text=False`.")
    return passed(f"The chain turns {{domain, text}} into a string; on a sample it answers {out.strip()[:80]!r}.")


@never_raises
def check_top_snippet(answer, store, query: str) -> bool:
    """`answer`: the text of the snippet most similar to `query` in the vector store `store`."""
    if is_placeholder(answer):
        return not_started("top_snippet")
    try:
        ranked = store.similarity_search(query, k=5)
    except Exception as e:  # noqa: BLE001
        return failed(f"The check could not search the store: {type(e).__name__}: {e}")
    if not ranked:
        return failed(
            "The vector store is empty, so there is nothing to compare with.",
            "Re-run the cell that builds the store from the snippets, then your answer, then this check.",
        )
    expected = ranked[0].page_content
    texts = [d.page_content for d in ranked]
    if isinstance(answer, (list, tuple)):
        return failed(
            f"You returned a {type(answer).__name__}; the check wants one snippet's text.",
            "Take the first result (`k=1` or `[0]`), then its `.page_content`.",
        )
    if hasattr(answer, "page_content"):
        if answer.page_content == expected:
            return failed("You returned the whole Document.", "Take its text: `.page_content`.")
        answer = answer.page_content
    if not isinstance(answer, str):
        return failed(f"`top_snippet` should be a string, not {type(answer).__name__}.")
    if answer == expected:
        return passed(f"The closest snippet to {query!r} is: {expected!r}")
    if answer in texts:
        return failed(
            f"That snippet is result #{texts.index(answer) + 1}, not the closest one.",
            "The results come best first: take `[0]`.",
        )
    return failed(
        "That is not the snippet the store finds closest to the query.",
        "Search with the exercise's `query` in `vector_store`: `vector_store.similarity_search(query, k=1)`.",
    )
