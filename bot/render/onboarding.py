"""Block Kit for onboarding: each screen of `bot.core.onboarding` as one message.

Buttons update the message they sit on, so a tour or a quiz stays a single message.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import ComparisonRow, DiagramSpec
from bot.core.onboarding import (
    Greeting,
    HowToAsk,
    QuizFeedback,
    QuizQuestionScreen,
    QuizScore,
    Screen,
    TourDone,
    TourStepScreen,
)
from bot.render.actions import (
    HOW_TO_ASK,
    OPEN_TOPIC,
    QUIZ_ANSWER,
    QUIZ_NEXT,
    QUIZ_START,
    TOUR_DONE,
    TOUR_STEP,
)
from bot.render.answers import render_answer, render_diagram_text_block
from bot.render.blocks import Block, BlockMessage, button, context, escape, header, section

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


def render_greeting(greeting: Greeting) -> BlockMessage:
    """The private welcome: a three-point primer, the diagram, and where to go next."""
    intro = (
        f"Hi <@{greeting.user_id}>, welcome! I explain virtual machines and Docker containers. "
        "Here is the short version:"
    )
    blocks = [section(intro), section(render_primer(greeting.primer))]
    if greeting.diagram:
        blocks += _diagram(greeting.diagram)
    blocks.append(section("Want more? Take the tour, test yourself, or just ask me."))
    blocks.append(next_steps_buttons(tour=greeting.tour, quiz=greeting.quiz))
    text = "Welcome! A short primer on virtual machines vs Docker containers."
    return BlockMessage(text=text, blocks=blocks)


def render_how_to_ask(screen: HowToAsk) -> BlockMessage:
    """How to reach the bot, with the tour and quiz one click away."""
    buttons = next_steps_buttons(tour=screen.tour, quiz=screen.quiz, how_to_ask=False)
    blocks = [section(HOW_TO_ASK_TEXT), buttons]
    return BlockMessage(text="How to ask me about VMs and Docker", blocks=blocks)


def render_tour_step(screen: TourStepScreen) -> BlockMessage:
    """Step `index` (0-based) of `total`: the intro line, the entry's answer, Back and Next."""
    entry, index, total = screen.reply, screen.index, screen.total
    number = index + 1
    blocks = [
        header(entry.title or "Tour"),
        context(f"*{escape(screen.title)}* · Step {number} of {total}"),
        section(f"_{escape(screen.intro)}_"),
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


def render_tour_done(screen: TourDone) -> BlockMessage:
    """The end of the tour: restart it, or move on to the quiz."""
    total, quiz = screen.total, screen.quiz
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


def render_quiz_question(screen: QuizQuestionScreen) -> BlockMessage:
    """Question `number` of `total`, options shown in `order`; each button's action id names its
    option's index in the file and its value carries the run `state`."""
    question, order = screen.question, screen.order
    buttons = [
        button(question.options[index].text, f"{QUIZ_ANSWER}:{index}", screen.state)
        for index in order
    ]
    blocks = [
        header(f"Question {screen.number} of {screen.total}"),
        section(f"*{escape(question.question)}*"),
        {"type": "actions", "elements": buttons},
    ]
    choices = "; ".join(question.options[index].text for index in order)
    text = f"Quiz, question {screen.number} of {screen.total}: {question.question} ({choices})"
    return BlockMessage(text=text[:3000], blocks=blocks)


def render_quiz_feedback(screen: QuizFeedback) -> BlockMessage:
    """Right or wrong at once, the explanation, and a way on: the next question or the score."""
    answer, question = screen.answer, screen.answer.question
    chosen = question.options[answer.choice].text
    right = question.options[question.right_index].text
    if answer.correct:
        verdict = f"✅ *Right!* {escape(chosen)}"
    else:
        verdict = f"❌ *Not quite.* You said “{escape(chosen)}”; the answer is *{escape(right)}*."
    number = answer.run.position
    blocks = [
        context(f"Question {number} of {screen.total} · {escape(question.question)}"),
        section(f"{verdict}\n{escape(question.explanation)}"),
        context(f"Score so far: {answer.run.score} of {number}"),
    ]
    buttons = [
        button(
            "See my score" if answer.run.finished else "Next question",
            QUIZ_NEXT,
            screen.state,
            "primary",
        )
    ]
    if screen.entry_title:
        read_more = f"Read more: {screen.entry_title}"
        buttons.append(button(read_more, f"{OPEN_TOPIC}:{question.entry}", question.entry))
    blocks.append({"type": "actions", "elements": buttons})
    text = (
        "Right! " if answer.correct else f"Not quite: the answer is {right}. "
    ) + question.explanation
    return BlockMessage(text=text[:3000], blocks=blocks)


def render_quiz_score(screen: QuizScore) -> BlockMessage:
    """The final score, with a retry and the tour for whoever wants to fill the gaps."""
    score, total, tour = screen.score, screen.total, screen.tour
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


def render_screen(screen: Screen) -> BlockMessage:
    """Any onboarding screen as its message."""
    match screen:
        case Greeting():
            return render_greeting(screen)
        case TourStepScreen():
            return render_tour_step(screen)
        case TourDone():
            return render_tour_done(screen)
        case QuizQuestionScreen():
            return render_quiz_question(screen)
        case QuizFeedback():
            return render_quiz_feedback(screen)
        case QuizScore():
            return render_quiz_score(screen)
        case _:
            return render_how_to_ask(HowToAsk(tour=screen.tour, quiz=screen.quiz))
