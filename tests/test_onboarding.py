"""Onboarding as a learner meets it: who we are, consent, group, commune, unit."""

from sqlalchemy import func, select

from storage.models import AuditLog, Learner, Unit


async def learners(sessions) -> list[Learner]:
    async with sessions() as s:
        return list((await s.execute(select(Learner))).scalars())


async def test_greeting_says_it_is_automated_and_asks_consent(chat):
    await chat.say("/start")
    chat.expect("trợ lý học AI tự động", "Mình là máy, không phải người")
    chat.expect("xem hoặc xóa dữ liệu", "Bạn có đồng ý không?")
    assert chat.labels == ["Đồng ý", "Không đồng ý"]


async def test_first_message_of_any_kind_gets_the_greeting(chat):
    await chat.say("alo")
    chat.expect("trợ lý học AI tự động")


async def test_full_onboarding_keeps_name_only_after_consent(chat, sessions):
    await chat.say("/start")
    [before] = await learners(sessions)
    assert before.display_name is None and before.consent_at is None

    await chat.tap("Đồng ý")
    chat.expect("Bạn thuộc nhóm nào?")
    assert "Nông dân trồng chè" in chat.labels

    await chat.tap("Nông dân trồng chè")
    chat.expect("xã, phường nào")

    await chat.say("tan cuong")
    assert chat.labels == ["Xã Tân Cương"]
    await chat.tap("Xã Tân Cương")
    chat.expect("✅ Bạn ở Xã Tân Cương", "mã tham gia")

    await chat.tap("Bỏ qua")
    chat.expect("Xong rồi!", "bài 1.1")

    [learner] = await learners(sessions)
    assert learner.display_name == "Chị Lan"
    assert learner.group_code == "che"
    assert learner.commune_code == 5503  # Xã Tân Cương in the official list
    assert learner.status == "active" and learner.consent_at is not None


async def test_declining_consent_keeps_nothing(chat, sessions):
    await chat.say("/start")
    await chat.tap("Không đồng ý")
    chat.expect("Mình không lưu gì về bạn")
    assert await learners(sessions) == []


async def test_consent_step_waits_for_an_answer(chat):
    await chat.say("/start")
    await chat.say("học luôn đi")
    chat.expect("«Đồng ý» hoặc «Không đồng ý»")
    await chat.say("/tiendo")
    chat.expect("vài bước làm quen")


async def test_commune_search_without_diacritics_and_with_typos(chat):
    await chat.say("/start")
    await chat.tap("Đồng ý")
    await chat.tap("Người dân")

    await chat.say("dai tu")
    assert chat.labels == ["Xã Đại Từ"]

    await chat.say("tan cuog")  # a typo
    assert chat.labels[0] == "Xã Tân Cương"

    await chat.say("PHUONG phan dinh phung")
    assert chat.labels == ["Phường Phan Đình Phùng"]

    await chat.say("Hà Nội")
    chat.expect("chưa tìm thấy")
    assert chat.labels == []


async def test_numbers_pick_the_offered_choice_like_on_zalo(chat, sessions):
    await chat.say("/start")
    await chat.say("1")  # Đồng ý
    await chat.say("2")  # Cán bộ, công chức, viên chức
    await chat.say("dai")
    assert chat.labels[:2] == ["Xã Đại Phúc", "Xã Đại Từ"]
    await chat.say("2")
    chat.expect("Xã Đại Từ")
    [learner] = await learners(sessions)
    assert learner.group_code == "cb"


async def test_join_code_from_deep_link_enrols_into_the_unit(chat, sessions):
    async with sessions() as s, s.begin():
        s.add(Unit(code="UBNDTC", name="UBND xã Tân Cương", commune_code=None))
    await chat.say("/start ubndtc")
    await chat.tap("Đồng ý")
    await chat.tap("Cán bộ")
    await chat.say("tan cuong")
    await chat.tap("Xã Tân Cương")
    chat.expect("đơn vị: UBND xã Tân Cương", "Xong rồi!")
    [learner] = await learners(sessions)
    assert learner.unit_id is not None


async def test_typed_join_code_and_a_wrong_one(chat, sessions):
    async with sessions() as s, s.begin():
        s.add(Unit(code="HTXCHE1", name="HTX chè La Bằng", kind="coop"))
    await chat.say("/start")
    await chat.tap("Đồng ý")
    await chat.tap("Chủ doanh nghiệp")
    await chat.say("la bang")
    await chat.tap("Xã La Bằng")
    await chat.say("SAIMA")
    chat.expect("chưa thấy mã «SAIMA»")
    await chat.say("htxche1")
    chat.expect("✅ Bạn đã vào đơn vị: HTX chè La Bằng", "Xong rồi!")
    async with sessions() as s:
        consents = await s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "consent_given")
        )
    assert consents == 1


async def test_start_again_later_shows_the_menu_not_onboarding(chat):
    await chat.onboard()
    await chat.say("/start")
    chat.expect("Chào bạn quay lại")
    assert "Học tiếp" in chat.labels


async def test_a_number_refers_only_to_the_choices_on_screen(chat, sessions):
    await chat.say("/start")
    await chat.tap("Đồng ý")
    await chat.tap("Người dân")  # the commune question shows no choices
    await chat.say("2")  # so "2" is not the group list's second entry
    chat.expect("Mình chưa tìm thấy xã, phường nào giống «2»")
    [learner] = await learners(sessions)
    assert learner.group_code == "dan"
