"""The offline review's language check (`backend/reviews/language.py`), from a second attack
(2026-12-06): it looked only for the function words of seven languages and for a non-Latin
script, so a session in another language typed in Latin letters was read as English (rated,
praised, corrected), and a terse English screening that addresses its client by a Spanish
surname was told it is not English."""

from __future__ import annotations

import pytest

from tests.integration.feedback.student_view import review_as_student
from tests.integration.feedback.test_review_language import (
    CHINESE_CONFRONTING,
    JAPANESE_CONFRONTING,
    TERSE_SCREENING,
)

# The Spanish confrontation of tests/integration/feedback/transcripts.py ("You're in denial, you
# have to stop drinking now", "You should go to AA", ...), in four more languages written in
# Latin letters.
POLISH = [
    ("Czy pijesz codziennie?", "Nie, tylko w weekendy."),
    ("Jesteś w zaprzeczeniu, musisz natychmiast przestać pić.", "Nie jestem w zaprzeczeniu."),
    ("Tak, jesteś. Powinieneś pójść do Anonimowych Alkoholików.", "Nie chcę."),
    ("Musisz przestać pić od razu.", "Nie."),
    ("To tylko wymówka.", "To nie jest wymówka."),
    ("Odpowiedzialny ojciec przestałby pić.", "To niesprawiedliwe."),
    ("Powinieneś dziś wylać cały alkohol.", "Nie."),
    ("Oszukujesz samego siebie.", "Wychodzę."),
    ("Musisz to przyznać.", "Do widzenia."),
    ("Musisz mnie posłuchać.", "Nie."),
    ("Niszczysz swoją rodzinę.", "..."),
]
VIETNAMESE = [
    ("Bạn có uống rượu mỗi ngày không?", "Không, chỉ cuối tuần thôi."),
    ("Bạn đang chối bỏ, bạn phải bỏ rượu ngay.", "Tôi không chối bỏ."),
    ("Có đấy. Bạn nên đi gặp nhóm Người Nghiện Rượu Ẩn Danh.", "Tôi không muốn."),
    ("Bạn phải bỏ rượu ngay bây giờ.", "Không."),
    ("Đó chỉ là cái cớ thôi.", "Không phải cái cớ."),
    ("Một người cha có trách nhiệm sẽ bỏ rượu.", "Thế là không công bằng."),
    ("Hôm nay bạn nên đổ hết rượu đi.", "Không."),
    ("Bạn đang tự lừa dối chính mình.", "Tôi đi đây."),
    ("Bạn phải thừa nhận điều đó.", "Tạm biệt."),
    ("Bạn phải nghe lời tôi.", "Không."),
    ("Bạn đang phá hủy gia đình mình.", "..."),
]
TURKISH = [
    ("Her gün içiyor musun?", "Hayır, sadece hafta sonları."),
    ("İnkâr ediyorsun, hemen içmeyi bırakmalısın.", "İnkâr etmiyorum."),
    ("Evet ediyorsun. Adsız Alkoliklere gitmelisin.", "İstemiyorum."),
    ("Şimdi içmeyi bırakmak zorundasın.", "Hayır."),
    ("Bu sadece bir bahane.", "Bahane değil."),
    ("Sorumlu bir baba içmeyi bırakırdı.", "Bu adil değil."),
    ("Bugün bütün alkolü dökmelisin.", "Hayır."),
    ("Kendini kandırıyorsun.", "Gidiyorum."),
    ("Bunu kabul etmelisin.", "Hoşça kal."),
    ("Beni dinlemelisin.", "Hayır."),
    ("Aileni mahvediyorsun.", "..."),
]
INDONESIAN = [
    ("Apakah kamu minum setiap hari?", "Tidak, hanya akhir pekan."),
    ("Kamu sedang menyangkal, kamu harus berhenti minum sekarang.", "Saya tidak menyangkal."),
    ("Ya, kamu menyangkal. Kamu harus pergi ke Alcoholics Anonymous.", "Saya tidak mau."),
    ("Kamu harus berhenti minum sekarang juga.", "Tidak."),
    ("Itu hanya alasan.", "Itu bukan alasan."),
    ("Ayah yang bertanggung jawab akan berhenti minum.", "Itu tidak adil."),
    ("Kamu harus membuang semua alkohol hari ini.", "Tidak."),
    ("Kamu menipu dirimu sendiri.", "Saya pergi."),
    ("Kamu harus mengakuinya.", "Selamat tinggal."),
    ("Kamu harus mendengarkan saya.", "Tidak."),
    ("Kamu menghancurkan keluargamu.", "..."),
]


@pytest.mark.parametrize(
    "lines",
    [POLISH, VIETNAMESE, TURKISH, INDONESIAN, CHINESE_CONFRONTING, JAPANESE_CONFRONTING],
    ids=["polish", "vietnamese", "turkish", "indonesian", "chinese", "japanese"],
)
def test_a_confrontation_in_another_language_is_not_rated_or_praised(db, lines):
    """Like the Spanish one: the coder cannot read these, so the demo review must say it reads
    English only, not rate "You're in denial, you must stop drinking" 5/5 on Empathy and
    praise it as "it follows the client's lead"."""
    seen = review_as_student(db, lines)
    assert seen.content.not_english, seen.describe()
    assert not seen.strengths and not seen.content.try_instead, seen.describe()


# tests/integration/feedback/test_review_language.py's terse screening (read as English), with
# the client addressed by name: a common Filipino and Hispanic surname.
TERSE_SCREENING_BY_NAME = [
    ("Morning, Mr. De La Cruz. Drinks per week?", "Maybe fifteen, twenty."),
    *TERSE_SCREENING[1:-1],
    ("Ready to quit, Mr. De La Cruz?", "I don't know."),
    ("Okay. Thanks, Mr. De La Cruz.", None),
]


def test_an_english_screening_of_mr_de_la_cruz_is_still_read(db):
    """The surname's "De La" are no evidence of Spanish: the student's questions are English and
    the review must say what to try instead, not that the session is not in English."""
    seen = review_as_student(db, TERSE_SCREENING_BY_NAME)
    assert not seen.content.not_english, seen.content.goal
    assert seen.content.try_instead, seen.describe()
