"""Block Kit for onboarding: the greeting, tour steps and quiz screens, as pure functions.

Every screen is one `BlockMessage`; buttons update the message they sit on, so a tour or a quiz
stays a single message. Action ids are namespaced `onboarding_*`; those carrying a target put it
after a colon (`onboarding_tour:2`, `onboarding_quiz_answer:0`) so they stay unique in a block.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import BlockMessage, ComparisonRow, DiagramSpec, QuizAnswer, QuizQuestion, Reply
from bot.replies.blocks import (
    OPEN_TOPIC,
    Block,
    button,
    context,
    escape,
    header,
    render_answer,
    render_diagram_text_block,
    section,
)

TOUR_STEP = "onboarding_tour"
TOUR_DONE = "onboarding_tour_done"
QUIZ_START = "onboarding_quiz_start"
QUIZ_ANSWER = "onboarding_quiz_answer"
QUIZ_NEXT = "onboarding_quiz_next"
HOW_TO_ASK = "onboarding_how_to_ask"


HOW_TO_ASK_TEXT = (
    "*Ask me anything about virtual machines and Docker containers:*\n"
    "• Mention me in a channel: _@vmdocker what does Docker virtualize?_\n"
    "• Send me a direct message, no mention needed.\n"
    "• Type `/vmdocker` and your question, anywhere.\n"
    "• `/vmdocker tour` walks you through the basics; `/vmdocker quiz` tests what you know.\n"
    "Plain questions work best, like “how big is a VM image?”"
)


def _diagram(spec: DiagramSpec) -> list[Block]:
    """The diagram as a code block, with its alt text for screen readers underneath."""
    return [render_diagram_text_block(spec), context(escape(spec.alt))]


def next_steps_buttons(*, tour: bool, quiz: bool, how_to_ask: bool = True) -> Block:
    """ "Take the tour", "Quiz me" and "How to ask me" buttons, for what the knowledge has."""
    buttons = []
    if tour:
        buttons.append(button("Take the tour", f"{TOUR_STEP}:0", "0", "primary"))
    if quiz:
        buttons.append(button("Quiz me", QUIZ_START, "start"))
    if how_to_ask:
        buttons.append(button("How to ask me", HOW_TO_ASK, "how"))
    return {"type": "actions", "elements": buttons}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def render_primer(points: Sequence[Sequence[ComparisonRow]]) -> str:
    """Numbered primer lines; each point merges its rows: "Container: a; b. VM: c; d."."""
    lines = []
    for number, rows in enumerate(points, start=1):
        container = "; ".join(_lower_first(row.container) for row in rows)
        vm = "; ".join(_lower_first(row.vm) for row in rows)
        lines.append(
            f"*{number}. {escape(rows[0].aspect)}.* Container: {escape(container)}. "
            f"VM: {escape(vm)}."
        )
    return "\n".join(lines)


def render_greeting(
    user_id: str,
    primer: Sequence[Sequence[ComparisonRow]],
    diagram: DiagramSpec | None,
    *,
    tour: bool,
    quiz: bool,
) -> BlockMessage:
    """The private welcome: a three-point primer, the diagram, and where to go next."""
    intro = (
        f"Hi <@{user_id}>, welcome! I explain virtual machines and Docker containers. "
        "Here is the short version:"
    )
    blocks = [section(intro), section(render_primer(primer))]
    if diagram:
        blocks += _diagram(diagram)
    blocks.append(section("Want more? Take the tour, test yourself, or just ask me."))
    blocks.append(next_steps_buttons(tour=tour, quiz=quiz))
    text = "Welcome! A short primer on virtual machines vs Docker containers."
    return BlockMessage(text=text, blocks=blocks)


def render_how_to_ask(*, tour: bool, quiz: bool) -> BlockMessage:
    """How to reach the bot, with the tour and quiz one click away."""
    blocks = [section(HOW_TO_ASK_TEXT), next_steps_buttons(tour=tour, quiz=quiz, how_to_ask=False)]
    return BlockMessage(text="How to ask me about VMs and Docker", blocks=blocks)


def render_tour_step(title: str, index: int, total: int, intro: str, entry: Reply) -> BlockMessage:
    """Step `index` (0-based) of `total`: the intro line, the entry's answer, Back and Next."""
    number = index + 1
    blocks = [
        header(entry.title or "Tour"),
        context(f"*{escape(title)}* · Step {number} of {total}"),
        section(f"_{escape(intro)}_"),
        *render_answer(entry.answer),
    ]
    if entry.comparison:
        rows = [
            f"*{escape(row.aspect)}*: VM: {escape(row.vm)} · Container: {escape(row.container)}"
            for row in entry.comparison
        ]
        blocks.append(section("\n".join(rows)))
    if entry.diagram:
        blocks += _diagram(entry.diagram)
    buttons = []
    if index > 0:
        buttons.append(button("Back", f"{TOUR_STEP}:{index - 1}", str(index - 1)))
    if number < total:
        buttons.append(button("Next", f"{TOUR_STEP}:{index + 1}", str(index + 1), "primary"))
    else:
        buttons.append(button("Finish", TOUR_DONE, "done", "primary"))
    blocks.append({"type": "actions", "elements": buttons})
    text = f"Tour, step {number} of {total}: {entry.title}"
    return BlockMessage(text=text, blocks=blocks)


def render_tour_done(total: int, *, quiz: bool) -> BlockMessage:
    """The end of the tour: restart it, or move on to the quiz."""
    blocks = [
        header("You finished the tour"),
        section(f"That was all {total} steps. Ready to check what stuck?"),
        {
            "type": "actions",
            "elements": [
                *([button("Quiz me", QUIZ_START, "start", "primary")] if quiz else []),
                button("Start the tour again", f"{TOUR_STEP}:0", "0"),
                button("How to ask me", HOW_TO_ASK, "how"),
            ],
        },
    ]
    return BlockMessage(text=f"You finished the tour ({total} steps).", blocks=blocks)


def render_quiz_question(
    question: QuizQuestion, number: int, total: int, state: str, order: Sequence[int]
) -> BlockMessage:
    """Question `number` of `total`, options shown in `order`; each button's action id names its
    option's index in the file and its value carries the run `state`."""
    buttons = [
        button(question.options[index].text, f"{QUIZ_ANSWER}:{index}", state) for index in order
    ]
    blocks = [
        header(f"Question {number} of {total}"),
        section(f"*{escape(question.question)}*"),
        {"type": "actions", "elements": buttons},
    ]
    choices = "; ".join(question.options[index].text for index in order)
    text = f"Quiz, question {number} of {total}: {question.question} ({choices})"
    return BlockMessage(text=text[:3000], blocks=blocks)


def render_quiz_feedback(
    answer: QuizAnswer, entry_title: str | None, state: str, total: int
) -> BlockMessage:
    """Right or wrong at once, the explanation, and a way on: the next question or the score."""
    question = answer.question
    chosen = question.options[answer.choice].text
    right = question.options[question.right_index].text
    if answer.correct:
        verdict = f"✅ *Right!* {escape(chosen)}"
    else:
        verdict = f"❌ *Not quite.* You said “{escape(chosen)}”; the answer is *{escape(right)}*."
    number = answer.run.position
    blocks = [
        context(f"Question {number} of {total} · {escape(question.question)}"),
        section(f"{verdict}\n{escape(question.explanation)}"),
        context(f"Score so far: {answer.run.score} of {number}"),
    ]
    buttons = [
        button(
            "See my score" if answer.run.finished else "Next question",
            QUIZ_NEXT,
            state,
            "primary",
        )
    ]
    if entry_title:
        buttons.append(
            button(f"Read more: {entry_title}", f"{OPEN_TOPIC}:{question.entry}", question.entry)
        )
    blocks.append({"type": "actions", "elements": buttons})
    text = (
        "Right! " if answer.correct else f"Not quite: the answer is {right}. "
    ) + question.explanation
    return BlockMessage(text=text[:3000], blocks=blocks)


def render_quiz_score(score: int, total: int, *, tour: bool) -> BlockMessage:
    """The final score, with a retry and the tour for whoever wants to fill the gaps."""
    if score == total:
        remark = "A perfect score. 🎉"
    elif score * 2 >= total:
        remark = "Nicely done. The tour covers the ones you missed."
    else:
        remark = "The tour is a good way to fill in the gaps, then try again."
    buttons = [button("Try again", QUIZ_START, "start", "primary")]
    if tour:
        buttons.append(button("Take the tour", f"{TOUR_STEP}:0", "0"))
    blocks = [
        header("Quiz done"),
        section(f"You got *{score} of {total}* right. {remark}"),
        {"type": "actions", "elements": buttons},
    ]
    return BlockMessage(text=f"Quiz done: {score} of {total} right.", blocks=blocks)
