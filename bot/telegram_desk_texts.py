"""What operators read in the Telegram operators' group (Korean first, English after).

Kept apart from :mod:`bot.telegram_desk`'s logic, as :mod:`core.handoff.texts` is for users.
Refusals say what happened *and* that nothing reached the user, since a person in crisis is
on the other side.
"""

from __future__ import annotations

NOT_OPERATOR = ("이 텔레그램 계정은 운영자로 등록되어 있지 않아 아무것도 하지 않았습니다. "
                "관리자에게 OPERATOR_TELEGRAM_IDS에 이름:{account} 추가를 요청하세요. "
                "Not an operator account; nothing was done.")
NOT_OPERATOR_REPLY = ("등록된 운영자 계정이 아니어서 사용자에게 전하지 않았습니다 "
                      "(OPERATOR_TELEGRAM_IDS). Not an operator account: not sent.")
UNREACHABLE = ("이 사용자에게는 지금 쓸 수 없습니다 (대화가 끝났거나 기록이 삭제됨). /admin에서 "
               "확인하세요. The user cannot be reached now.")
TAKEN = "맡았습니다. 스레드에서 답장하세요. / Taken: reply in the thread."
ALREADY_YOURS = "이미 맡고 있는 대화입니다. / You already hold it."
HELD_BY = ("다른 운영자({holder})가 맡고 있는 대화라서 전하지 않았습니다. "
           "Held by {holder}: not sent.")
NOT_HELD = ("이 대화는 지금 맡은 사람이 없어 전하지 않았습니다. 다시 맡으려면 알림의 '대화 "
            "맡기'를 누르세요. No one holds it now: not sent.")
WHICH_ONE = ("어느 대화인지 알 수 없습니다: 대화 스레드의 메시지에 답장으로 /handback 을 "
             "보내 주세요. Reply to a thread message with /handback.")
NO_THREAD = ("이 메시지는 열린 대화 스레드가 아니라서 사용자에게 전하지 않았습니다. 알림의 "
             "'대화 맡기'를 누르세요 (이미 맡은 대화면 스레드를 다시 엽니다). Not an open "
             "conversation thread: not sent; press Take on the alert.")
FAILED = "처리하지 못했습니다. 잠시 후 다시 하거나 /admin을 쓰세요. / Failed; try again or use /admin."
HEAD = ("🤝 {operator} 님이 대화 {ref}을(를) 맡았습니다.\n{how} 끝나면 /handback 또는 아래 버튼.\n"
        "(버디는 위기 신호에 상담전화 안내만 보냅니다. / {operator} holds {ref}; {how_en})")
HOW_TOPIC = ("이 토픽에 쓰는 글은 사용자에게 그대로 전해집니다.",
             "write in this topic to reach the user.")
HOW_REPLY = ("이 메시지나 아래 메시지에 답장하면 사용자에게 그대로 전해집니다.",
             "reply to this thread to reach the user.")
FROM_USER = "👤 {ref}{flag}:\n{text}"
CRISIS_FLAG = " ⚠️ 위기 신호"
FROM_BUDDY = "🤖 버디가 위기 안내를 보냈습니다:\n{text}"
FROM_DASHBOARD = "🧑‍⚕️ /admin에서 보낸 글:\n{text}"
RETURNED = "↩️ 버디에게 돌려주었습니다. 사용자는 안내를 받았습니다. / Handed back to Buddy."
TIMED_OUT = "⏱ 운영자 활동이 없어 버디에게 돌아갔습니다. / Handed back after idle time."

