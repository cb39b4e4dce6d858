"""What the user reads about a handoff, in Korean, kept apart from the logic.

Why honest wording: a person in distress who is told "someone will be with you" and then
waits alone is hurt twice. So the queued text says what to expect (a person reads the
conversation and writes here; Buddy keeps answering meanwhile), and when no one is on duty
the user is told so plainly, with the 24-hour lines from :mod:`core.safety.hotlines`.
"""

from __future__ import annotations

from core.safety.hotlines import MENTAL_HEALTH_CRISIS, SUICIDE_PREVENTION


def _lines() -> str:
    return f"• {SUICIDE_PREVENTION.line()}\n• {MENTAL_HEALTH_CRISIS.line()}"


#: how an operator's message is labelled on the user's platform (never their own name)
OPERATOR_SENDER = "상담 선생님"

JOINED = ("지금부터 상담 선생님이 이 대화에 함께합니다. 여기에 쓰시는 말은 선생님이 직접 읽고 "
          "답해요. (버디는 잠시 조용히 있을게요.)")

RETURNED = ("상담 선생님과의 대화가 끝났어요. 이제 다시 버디가 답할게요. "
            "언제든 '사람이랑 얘기하고 싶어'라고 쓰시면 다시 연결을 요청할 수 있어요.")

TIMED_OUT = ("상담 선생님의 답이 한동안 없어서 다시 버디가 답할게요. 기다리게 해서 미안해요. "
             "다시 사람과 이야기하고 싶으면 '사람이랑 얘기하고 싶어'라고 써 주세요.")

QUEUED = ("상담 선생님께 연결을 요청했어요. 선생님이 지금까지의 대화를 읽고 이 대화창으로 "
          "직접 글을 쓸 거예요. 몇 분 걸릴 수 있고, 그동안에는 버디가 계속 곁에 있을게요.\n"
          "많이 힘들고 급하다면 기다리지 말고 바로 전화해 주세요 (24시간):\n" + _lines())

ALREADY_QUEUED = ("연결 요청은 이미 전해졌어요. 상담 선생님이 곧 이 대화창으로 글을 쓸 거예요. "
                  "급하다면 바로 전화해 주세요 (24시간):\n" + _lines())

UNAVAILABLE = ("미안해요, 지금은 연결해 드릴 수 있는 상담 선생님이 없어요. 대신 이 번호로 "
               "24시간 사람과 이야기할 수 있어요:\n" + _lines()
               + "\n버디도 여기서 계속 이야기를 들을게요.")
