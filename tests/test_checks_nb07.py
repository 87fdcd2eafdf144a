"""Self-checks of notebook 07: right answers pass, typical wrong answers fail with a helpful message, none raises.

No model is loaded: the chain uses LangChain's fake LLMs, and the vector store a tiny bag-of-words embedding.
"""

from __future__ import annotations

import math
import re

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.vectorstores import InMemoryVectorStore

from helpers.checks import nb07

GOOD = PromptTemplate.from_template("A text from {domain}:\n{text}\nPositive or negative? One word.")


def run(check, answer, capsys, *args, **kwargs):
    ok = check(answer, *args, **kwargs)
    return ok, capsys.readouterr().out


# --- check_prompt ---------------------------------------------------------------------------------------


def test_prompt_right(capsys):
    ok, out = run(nb07.check_prompt, GOOD, capsys)
    assert ok and out.startswith("✅") and "«TEXT»" in out and "«DOMAIN»" in out, out


def test_chat_prompt_right(capsys):
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You label the sentiment of {domain} as positive or negative."),
            ("human", "{text}"),
        ]
    )
    ok, out = run(nb07.check_prompt, prompt, capsys)
    assert ok and out.startswith("✅") and "ChatPromptTemplate" in out, out


def test_prompt_placeholder(capsys):
    ok, out = run(nb07.check_prompt, ..., capsys)
    assert not ok and out.startswith("⏳"), out


domain, text = "movie reviews", "I loved it"


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Is this {text} from {domain} positive or negative?", "plain string"),
        (42, "not int"),
        (PromptTemplate.from_template(f"From {domain}: {text}. Positive or negative?"), "f-string"),
        (PromptTemplate.from_template("From {domain}: {review}. Positive or negative?"), "no variable 'text'"),
        (PromptTemplate.from_template("{text} Positive or negative?"), "no variable 'domain'"),
        (PromptTemplate.from_template("{domain} {text} {labels}: positive or negative?"), "extra variables ['labels']"),
        (PromptTemplate.from_template("From {domain}: {text}. What is the sentiment?"), "two answers"),
    ],
)
def test_prompt_wrong(capsys, answer, expected):
    ok, out = run(nb07.check_prompt, answer, capsys)
    assert not ok and out.startswith("❌") and expected in out and "Hint:" in out, out


# --- check_chain ----------------------------------------------------------------------------------------


def test_chain_right(capsys):
    chain = GOOD | FakeListLLM(responses=["positive"]) | StrOutputParser()
    ok, out = run(nb07.check_chain, chain, capsys)
    assert ok and out.startswith("✅") and "'positive'" in out, out


def test_chain_with_chat_model_right(capsys):
    chain = GOOD | FakeListChatModel(responses=["Positive."]) | StrOutputParser()
    ok, out = run(nb07.check_chain, chain, capsys)
    assert ok and out.startswith("✅"), out


def test_chain_placeholder(capsys):
    ok, out = run(nb07.check_chain, ..., capsys)
    assert not ok and out.startswith("⏳"), out


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: "positive", "result of `chain.invoke"),
        (lambda: [GOOD, StrOutputParser()], "not list"),
        (lambda: GOOD | FakeListChatModel(responses=["Positive."]), "of type AIMessage, not str"),
        (
            lambda: PromptTemplate.from_template("{review}: positive or negative?") | FakeListLLM(responses=["x"]),
            "variable",
        ),
        (lambda: FakeListChatModel(responses=["x"]) | GOOD | StrOutputParser(), "order matters"),
        (lambda: GOOD | FakeListLLM(responses=["   "]) | StrOutputParser(), "empty string"),
    ],
)
def test_chain_wrong(capsys, make, expected):
    ok, out = run(nb07.check_chain, make(), capsys)
    assert not ok and out.startswith("❌") and expected in out and "Hint:" in out, out


# --- check_top_snippet ------------------------------------------------------------------------------------


class BagOfWords(Embeddings):
    """A tiny deterministic embedding: word counts over a fixed vocabulary, normalised."""

    VOCAB = ["phone", "battery", "week", "emails", "film", "actor", "music", "food", "broke", "loved"]

    def _embed(self, text: str) -> list[float]:
        words = re.findall(r"[a-z]+", text.lower())
        v = [float(sum(w.startswith(t) for w in words)) for t in self.VOCAB]
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def embed_documents(self, texts):
        return [self._embed(t) for t in texts]

    def embed_query(self, text):
        return self._embed(text)


SNIPPETS = [
    "My phone broke after a week and support ignored my emails.",
    "The phone battery lasts a week.",
    "I loved the film and its music.",
    "The food was cold.",
]
QUERY = "The phone stopped working after a week and nobody answered my emails."


@pytest.fixture(scope="module")
def store():
    return InMemoryVectorStore.from_documents([Document(page_content=t) for t in SNIPPETS], BagOfWords())


def test_top_snippet_right(store, capsys):
    ok, out = run(nb07.check_top_snippet, SNIPPETS[0], capsys, store, QUERY)
    assert ok and out.startswith("✅") and "support ignored" in out, out


def test_top_snippet_placeholder(store, capsys):
    ok, out = run(nb07.check_top_snippet, ..., capsys, store, QUERY)
    assert not ok and out.startswith("⏳"), out


@pytest.mark.parametrize(
    "answer, expected",
    [
        (Document(page_content=SNIPPETS[0]), "whole Document"),
        ([Document(page_content=SNIPPETS[0])], "list"),
        ((Document(page_content=SNIPPETS[0]), 0.9), "tuple"),
        (SNIPPETS[1], "result #2"),
        ("The food was great.", "not the snippet"),
        (3, "should be a string"),
    ],
)
def test_top_snippet_wrong(store, capsys, answer, expected):
    ok, out = run(nb07.check_top_snippet, answer, capsys, store, QUERY)
    assert not ok and out.startswith("❌") and expected in out, out


def test_top_snippet_other_document_is_compared_by_text(store, capsys):
    ok, out = run(nb07.check_top_snippet, Document(page_content=SNIPPETS[1]), capsys, store, QUERY)
    assert not ok and "result #2" in out, out
