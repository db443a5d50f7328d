"""What the tutor will not do, checked before the model (on the question) and after it
(on the answer). The same input rules apply with and without a model.

Input: a question is refused, with the right referral, when it asks for
- someone else's personal data, or anything about other learners;
- how to break into accounts, phones or messages (hacking);
- help to make a deepfake of a real person;
- medicine or health advice (-> a doctor, 115), a personal legal matter (-> trợ giúp
  pháp lý), or pesticide and fertiliser names or doses (-> khuyến nông, bảo vệ thực vật);
- political opinions or provocation;
- the tutor's own instructions (system prompt), or tries to give it new ones (injection).
Text the learner pastes is content: it never changes the rules, and the model sees it
only inside delimiters, as data.

Output: the model's answer is dropped (and the offline answer given) when it leaks the
system prompt, gives a dose, a phone number or a link that is not in the lessons, talks
politics, or is not Vietnamese; otherwise it is cleaned and cut to fit one screen.

Patterns run on folded text (lower case, no diacritics), so they hold with and without
diacritics; words whose folded form is ambiguous ("đảng" = "đang" = "đăng") are only
matched in phrases that are not.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.textutil import fold


@dataclass(frozen=True)
class Verdict:
    category: str
    reply: str  # what the learner reads (Vietnamese)
    lesson_id: str | None = None  # the lesson to point to, when there is a fitting one


def _rx(*parts: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in parts))


_SELF = r"(?:toi|minh|tao|chung toi|chung minh|em minh)"
_OTHER = r"(?!" + _SELF + r"\b)[a-z]+"
_DATA = (
    r"(?:so dien thoai|so dt|dien thoai|dia chi|nha|so cccd|can cuoc|so can cuoc|"
    r"so tai khoan|tai khoan|email|facebook|zalo|thong tin|du lieu|ho so|ngay sinh|"
    r"luong|benh an|anh|vi tri|tin nhan|cau hoi|lich su)"
)
_GET = (
    r"(?:cho (?:toi|minh|em|tao)(?: xem| biet)?|tim|tra|tra cuu|xin|lay|liet ke|cung cap|"
    r"gui|xem|doc|biet|tiet lo)"
)

PERSONAL_DATA = _rx(
    rf"\b{_GET}\b.{{0,30}}\b{_DATA}\b.{{0,20}}\b(?:cua|nha) {_OTHER}",
    r"\b(?:nguoi hoc|hoc vien|nguoi dung|thanh vien|ban hoc|nguoi) (?:khac|con lai)\b.{0,40}"
    r"\b(?:hoc|hoi|du lieu|thong tin|ten|so|cau hoi|ket qua|diem|dia chi)\b",
    r"\b(?:du lieu|thong tin|cau hoi|ket qua|diem|ten|so dien thoai) (?:cua )?"
    r"(?:nguoi hoc|hoc vien|nguoi dung|thanh vien) (?:khac|con lai)\b",
    r"\bdanh sach (?:nguoi hoc|hoc vien|nguoi dung|nguoi da hoc|thanh vien)\b",
    r"\b(?:ai|nhung ai|nguoi|nhung nguoi|nguoi nao) (?:da|cung|dang|con) (?:hoc|dung|hoi)\b"
    r".{0,20}\b(?:bot|nay|chuong trinh|ban|app|o day)\b",
    r"\b(?:so (?:dien thoai|dt|tai khoan|cccd|can cuoc|nay)|sdt|stk|bien so(?: xe)?|"
    r"\d{9,12})\b.{0,30}\b(?:la )?(?:cua|thuoc ve|chu la) (?:ai|nguoi nao)\b",
)

_CREATE_ASK = (
    r"\b(?:giup|huong dan|chi (?:toi|minh|em)?\s*cach|day|cach|lam sao|lam the nao|muon|"
    r"hay|can|app|ung dung|phan mem|cong cu|web)\b"
)
_FAKE = (
    r"\b(?:deep ?fake|video gia|clip gia|anh gia|giong gia|giong noi gia|mat gia|"
    r"face ?swap|ghep mat|doi mat|thay mat|ghep (?:anh|video|khuon mat)|"
    r"(?:gia|nhai|bat chuoc|clone|nhan ban) (?:giong|mat|khuon mat|giong noi)|"
    r"anh nong|anh khoa than)\b"
)
_CREATE = r"\b(?:lam|tao|ghep|dung|che|san xuat|edit|chinh|gia|nhai|clone|bat chuoc)\b"
_DETECT = (
    r"\b(?:nhan biet|phat hien|phong|phong tranh|tranh|canh giac|dau hieu|kiem tra|la gi|"
    r"bi lua|co that|that hay gia|lam sao biet|biet (?:la|duoc)|xu ly|bao cong an|luat|"
    r"nhan ra|phan biet|co phai|de phong|canh bao)\b"
)

_HACK_ACT = (
    r"\b(?:hack|hach|be khoa|crack|xam nhap|doc trom|xem trom|nghe trom|lay trom|danh cap|"
    r"chiem (?:doat )?(?:tai khoan|nick|facebook|zalo)|pha (?:mat khau|pass|khoa)|"
    r"do (?:mat khau|pass)|ddos|keylog\w*|phan mem gian diep|spyware|"
    r"theo doi (?:tin nhan|dien thoai|vi tri|zalo|facebook) (?:cua )?" + _OTHER + r"|"
    r"lay (?:mat khau|pass|ma otp|otp|tai khoan) (?:cua|nguoi|nha|hang xom|wifi|facebook|zalo)|"
    r"mat khau wifi (?:nha |cua )?(?:hang xom|nguoi khac)|"
    r"vao (?:tai khoan|facebook|zalo|email|dien thoai|nick) (?:cua )?"
    r"(?:nguoi khac|vo|chong|nguoi yeu|hang xom|ban|sep|con))\b"
)
_VICTIM = r"\b(?:bi|da bi|vua bi|lo bi|so bi|tranh|phong|chong|bao ve|khoi)\b(?:\s+\w+){0,2}\s*$"

_CROP = (
    r"\b(?:che|cay|vuon|nuong|doi che|lua|rau|ray(?: xanh)?|bo canh to|nhen do|"
    r"bo xit(?: muoi)?|sau|benh (?:cay|la|che)|nam|co dai|oc|bup|canh tac|trong trot)\b"
)
# Asking for a product name or a dose: what the pesticide rule refuses. A question that
# only mentions a pesticide ("link bán thuốc đặc trị, tin được không", "phun xong bao lâu
# mới hái") is a course question.
_CHEM = (
    r"\b(?:thuoc (?:gi|nao)|(?:thuoc|phan)(?: (?:tru|diet|dac|tri|sau|benh|co|nam|ray|nhen|"
    r"do|xanh|bvtv|dam|lan|kali|npk|huu|vi|sinh|bon|phun|cho|che)){1,3} (?:gi|nao)|"
    r"ten thuoc|loai thuoc|lieu(?: luong)?|nong do|pha (?:bao nhieu|may|thuoc|the nao)|"
    r"bao nhieu (?:ml|cc|gam|g|lit|goi|chai|kg|can|binh|lang)|\d+\s*(?:ml|cc|g|gam|lit|kg)|"
    r"bon (?:bao nhieu|may kg|may bao)|luong phan|phun (?:gi|bao nhieu|may|loai)|"
    r"mua thuoc (?:gi|nao)|thuoc\b.{0,25}\b(?:tot nhat|hieu qua nhat|manh nhat))\b"
)
_PESTICIDE_ANYWHERE = r"\b(?:thuoc (?:tru sau|bvtv|bao ve thuc vat|tru co|diet co|tru nam))\b"

MEDICAL = _rx(
    r"\b(?:dau (?:dau|bung|lung|nguc|rang|hong|da day|khop|mat|nua dau)|sot(?: cao)?|"
    r"ho (?:khan|co dom|lau|ra mau)|kho tho|tieu chay|buon non|chong mat|mat ngu|di ung|"
    r"cam cum|huyet ap|tieu duong|duong huyet|ung thu|tim mach|dot quy|mang thai|co thai|"
    r"tre (?:so sinh|bi sot)|benh (?:gi|nay|cua (?:toi|me|bo|con|chau|ong|ba|vo|chong))|"
    r"uong thuoc|uong (?:bao nhieu|may) vien|vien thuoc|lieu (?:dung|uong)|khang sinh|"
    r"paracetamol|thuoc (?:ha sot|giam dau|ngu|bo|tri|chua)|"
    r"thuoc (?:gi|nao) (?:cho|de|tri|chua) (?:toi|me|bo|con|chau|be|ong|ba|vo|chong|nguoi))\b"
)
# Plants and animals fall ill too: "chè bị bệnh gì" is lesson 8.2, not a doctor and 115.
_PLANT = (
    r"\b(?:che|cay(?! (?:but|so))|bup|vuon|nuong|doi che|lua|rau|ngo|hoa mau|cay trong|"
    r"la (?:che|cay|non|gia|bi)|vang la|sau (?:benh|hai|an)|ray(?: xanh)?|nhen do|bo xit|"
    r"bo canh to|dao on)\b"
)
_ANIMALS = r"(?:ga|lon|heo|trau|bo|vit|ngan|ngong|cho|meo|tho|bo sua)"  # not ca, de: words
_ANIMAL = (
    r"\b(?:vat nuoi|gia suc|gia cam|thu y|chan nuoi|lo mom long mong|dich ta|cum gia cam|"
    r"nuoi ca|ao ca|con de|dan de|"
    rf"(?:con|dan|dan|nuoi|chuong|trai) {_ANIMALS}|trau bo|"
    r"(?:ga|lon|heo|trau|vit|ngan|ngong|cho|meo)(?: nha (?:toi|minh|em))? "
    r"(?:bi|dang bi|om|sot|bo an|ru))\b"
)
# A person who is ill, and a request for treatment: always the doctor's.
_SICK_PERSON = (
    r"\b(?:toi|minh|em|me|bo|cha|con|chau|ong|ba|vo|chong|be|anh|chi)"
    r"(?: (?:toi|minh|em|nha toi|nha minh))?(?: (?:dang|hay|da|cu))? "
    r"(?:bi|dau|sot|ho|mang thai|co thai)\b"
)
_TREATMENT = (
    r"\b(?:uong (?:thuoc|gi|bao nhieu|may)|thuoc (?:gi|nao)|vien|lieu (?:dung|uong)|"
    r"chua (?:the nao|sao|bang gi|cach nao)|(?:phai )?lam (?:sao|gi)|co khoi|"
    r"het (?:dau|benh|sot|ho)|kham o dau|nen an gi|an gi)\b"
)
# Talking about AI, data or an advert that mentions health: a course question.
_ABOUT_IT = (
    r"\b(?:(?:hoi|dua|gui|dan|go|nho|ke|tin|dung)(?: \w+){0,2} "
    r"(?:chatbot|chat bot|chatgpt|chat gpt|gemini|copilot|ai|app|ung dung)|"
    r"(?:chatbot|chatgpt|ai|app) (?:co )?(?:biet|tra loi|chan doan|chuan doan|giup|tu van)|"
    r"quang cao|ban hang|dang bai|bai dang|livestream|ghi len|nguoi ta noi|tin (?:duoc|dc)|"
    r"that (?:khong|ko|k)|dung (?:khong|ko|k)|du lieu|nhay cam|bao mat)\b"
)


def _medical(f: str) -> bool:
    """Human health advice, the one thing the medical rule refuses."""
    if not MEDICAL.search(f):
        return False
    other = re.search(_PLANT, f) or re.search(_ANIMAL, f)
    if re.search(_TREATMENT, f) and (re.search(_SICK_PERSON, f) or not other):
        return True
    return not (other or re.search(_ABOUT_IT, f))


def about_animals(question: str) -> bool:
    """A question about sick livestock or pets: the course has no lesson on them."""
    return bool(re.search(_ANIMAL, _folded(question)))


LEGAL = _rx(
    r"\b(?:ly hon|ly di|thua ke|di chuc|chia tai san|tranh chap|lan chiem|lan dat|so do|"
    r"quyen su dung dat|khoi kien|don kien|kien (?:ai|nguoi|hang xom|cong ty|ra toa|doi)|"
    r"ra toa|toa an|hau toa|bi bat|tam giam|ngoi tu|an treo|tien an|bi khoi to|"
    r"hop dong (?:lao dong|mua ban|thue|vay)|no luong|sa thai|doi no|vo no|bo loi|"
    r"boi thuong|tu van (?:phap ly|luat)|luat su (?:giup|tu van|bao chua))\b"
)
_AI_TOOLS = r"\b(?:chatbot|chat bot|chatgpt|chat gpt|gemini|copilot|tri tue nhan tao)\b"

POLITICAL = _rx(
    r"\b(?:dang cong san|dang cs|dang ta|dang va nha nuoc|chinh tri|bieu tinh|da dang|"
    r"doc dang|doc tai|phan dong|lat do|viet tan|cach mang mau|bien dong|hoang sa|truong sa|"
    r"nhan quyen|tu do ngon luan|tap can binh|putin|trump|biden)\b",
    r"\b(?:nha nuoc|chinh phu|chinh quyen|che do|lanh dao|tong bi thu|chu tich nuoc|"
    r"thu tuong|quoc hoi|bo chinh tri|bo truong)\b.{0,40}\b(?:nghi gi|danh gia|tot khong|"
    r"tot hay|xau|te|kem|do|chui|noi xau|phe phan|ung ho|phan doi|gioi khong|tham nhung|"
    r"sai lam|thoi nat|doc ac|bat tai)\b",
    r"\b(?:chui|noi xau|boi nho|phe phan|ha be|lat)\b.{0,30}\b(?:nha nuoc|chinh phu|"
    r"chinh quyen|che do|lanh dao|tong bi thu|chu tich nuoc|thu tuong|quoc hoi)\b",
)
_POLITICAL_MARKED = re.compile(r"\bđảng\b")  # only when typed with diacritics

SYSTEM_PROMPT = _rx(
    r"\b(?:system prompt|system message|developer message|prompt he thong|loi nhac he thong|"
    r"cau lenh he thong|chi dan he thong|huong dan he thong|initial instructions|"
    r"your (?:instructions|prompt|rules))\b",
    r"\b(?:in|hien|xem|tiet lo|chep|doc|dua|gui|viet lai|lap lai|noi|ke|liet ke|cho biet)\b"
    r".{0,30}\b(?:prompt|cau lenh|huong dan|chi dan|quy tac|cai dat|lenh) "
    r"(?:goc|an|ban dau|noi bo|cua ban|cua bot|cua may)\b",
    r"\b(?:prompt|cau lenh|huong dan|chi dan|quy tac|cai dat) (?:goc|an|ban dau|noi bo|"
    r"cua ban|cua bot) (?:la gi|the nao|nhu the nao|ra sao|gom gi|gom nhung gi)\b",
    r"\bban (?:duoc|da duoc|bi) (?:cai dat|lap trinh|huong dan|dan do|cau hinh|ra lenh|dan)\b",
)
INJECTION = _rx(
    r"\b(?:bo qua|quen|phot lo|khong can tuan theo|khong can nghe|dung tuan theo|vuot qua|huy)"
    r"\b.{0,30}\b(?:huong dan|chi dan|quy tac|lenh|cau lenh|gioi han|quy dinh|rang buoc)\b",
    r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}"
    r"\b(?:instructions?|rules|prompt|above|previous|guidelines)\b",
    r"\b(?:jailbreak|dan mode|developer mode|god mode|che do (?:nha phat trien|khong gioi han|"
    r"admin|quan tri|developer))\b",
    r"\b(?:tu (?:gio|bay gio|nay|luc nay)|ke tu bay gio)(?: tro di)?,? (?:ban|may|mi) "
    r"(?:la|se|phai|hay|dong vai|chi)\b",
    r"\b(?:dong vai|gia vo|you are now|act as|pretend)\b.{0,50}\b(?:khong (?:gioi han|"
    r"kiem duyet|bi rang buoc|co quy tac|tuan theo|can tuan)|unrestricted|no rules|uncensored)\b",
    r"(?:^|\s)[\[<(#]*\s*(?:system|he thong|admin|developer|assistant|inst|im start)\s*[\]>)]*"
    r"\s*:",
    r"\b(?:quota|han muc|gioi han|limit)\s*[:=]\s*(?:unlimited|vo han|khong gioi han|\d{3,})",
)

# Topics the tutor talks about: a question needs one of these to be answered offline.
TOPICS = _rx(
    r"\b(?:ai|a i|tri tue nhan tao|chatbot|chat bot|chatgpt|chat gpt|gpt|gemini|copilot|"
    r"robot|tro ly ao|may tinh|may hoc|hoc may|mo hinh|du lieu|thuat toan|cong nghe|"
    r"deep ?fake|gia mao|gia giong|video gia|anh gia|ghep mat|lua dao|lua|scam|otp|"
    r"ma xac thuc|mat khau|tai khoan|ngan hang|chuyen tien|chuyen khoan|link|duong link|"
    r"lien ket|ma doc|virus|hack|bao mat|an toan|an ninh mang|zalo|facebook|tiktok|youtube|"
    r"mang xa hoi|dien thoai|ung dung|phan mem|internet|online|truc tuyen|tin gia|tin nhan|"
    r"cuoc goi|goi video|video call|cong an|ntrust|thong tin ca nhan|cccd|can cuoc|"
    r"quyen rieng tu|luat|nghi dinh|cong van|ke hoach|quy dinh|cau lenh|prompt|tom tat|"
    r"soan|van ban|giay moi|bao cao|email|excel|bang tinh|ban hang|khach|khach hang|"
    r"san pham|quang cao|livestream|live stream|livetream|san thuong mai|thuong mai dien tu|"
    r"shopee|lazada|postmart|voso|doanh thu|htx|hop tac xa|doanh nghiep|ho kinh doanh|che|"
    r"sau benh|sau|ray|nhen do|bo xit|bo canh to|khuyen nong|bao ve thuc vat|bon phan|"
    r"phan bon|thoi tiet|du bao|qr|ma qr|vung trong|truy xuat|nhan dang|nhan dien|giong noi|"
    r"micro|ban do|goi y|binh dan hoc|luyenai|nong cot|can bo|cong chuc|vien chuc|ubnd|"
    r"ke gian|ke lua|mat tien|lay lai tien|van tay|khuon mat|sinh trac|su dong y|dong y cho|"
    r"cau hoi bi mat|bi mat|phu thuoc|lut nghe|may (?:viet|tra loi|noi|doan)|"
    r"giong (?:cua|nguoi|quen|noi)|tren mang|qua mang|len mang|gan nhan|nhan tin|nhan dien|"
    r"tai lieu mat|plantix|greendoctor|vneid|kiem chung|nguon tin|ao giac|bia|nguoi that|"
    r"may that|nguoi hay may|tu dong|so dien thoai|anh|video|hinh|dan nhan|"
    r"trang web|website|web|gov vn)\b"
)

REFERRALS = {
    "personal_data": Verdict(
        "personal_data",
        "Mình không tìm và không cho biết thông tin cá nhân của người khác, kể cả của "
        "những người học khác: đó là dữ liệu của họ, cần họ đồng ý. Nếu bạn nghi một số "
        "điện thoại hay tài khoản lạ là lừa đảo, hãy kiểm tra bằng ứng dụng nTrust và báo "
        "công an xã.",
        "m4-4",  # nTrust, reporting: what the reply tells them to do
    ),
    "hacking": Verdict(
        "hacking",
        "Mình không hướng dẫn vào tài khoản, điện thoại hay tin nhắn của người khác: việc đó "
        "vi phạm pháp luật. Nếu tài khoản của bạn bị chiếm, hãy đổi mật khẩu, báo ngân hàng "
        "nếu có liên quan đến tiền, và báo công an xã.",
        "m4-4",
    ),
    "deepfake": Verdict(
        "deepfake",
        "Mình không giúp làm giả mặt, giọng nói hay video của người thật. Luật Trí tuệ nhân "
        "tạo cấm dùng AI làm giả người thật để lừa dối, kể cả khi «chỉ để đùa». Nếu bạn dùng "
        "AI làm ảnh, video của chính mình, hãy ghi rõ «do AI tạo».",
        "m5-5",
    ),
    "medical": Verdict(
        "medical",
        "Mình không tư vấn sức khỏe, bệnh hay thuốc men, vì trả lời sai có thể nguy hiểm. "
        "Bạn hãy hỏi bác sĩ hoặc trạm y tế xã. Trường hợp cấp cứu, gọi ngay 115.",
    ),
    "legal": Verdict(
        "legal",
        "Mình không tư vấn pháp lý cho việc riêng của bạn. Bạn hãy hỏi cán bộ tư pháp ở "
        "UBND xã, phường hoặc trung tâm trợ giúp pháp lý của tỉnh. Văn bản luật thì tra "
        "trên trang có đuôi .gov.vn.",
    ),
    "pesticide": Verdict(
        "pesticide",
        "Mình không đưa ra tên thuốc hay liều lượng thuốc, phân bón: làm sai có thể hại cây, "
        "hại người và chè khó bán. Bạn hãy hỏi cán bộ khuyến nông hoặc bảo vệ thực vật ở xã "
        "trước khi phun. Đã phun thì chờ đủ thời gian cách ly rồi mới hái.",
        "m8-2",
    ),
    "political": Verdict(
        "political",
        "Mình chỉ trao đổi về AI, an toàn trên mạng và cách dùng AI trong công việc, kinh "
        "doanh, nghề chè. Chuyện chính trị mình xin không bàn. Bạn hỏi mình về các chủ đề "
        "đó nhé.",
    ),
    "system_prompt": Verdict(
        "system_prompt",
        "Phần cài đặt của mình là nội bộ: mình không chia sẻ, và tin nhắn không thay đổi "
        "được nó. Mình là trợ lý tự động, trả lời từ các bài học «Bình dân học AI». Bạn cứ "
        "hỏi về AI hoặc an toàn trên mạng nhé.",
        "m2-5",
    ),
    "injection": Verdict(
        "injection",
        "Mình chỉ làm theo quy tắc của chương trình, không làm theo lệnh gửi trong tin nhắn. "
        "Nếu bạn dán một tin nhắn lạ để hỏi, hãy hỏi rõ, ví dụ: «tin này có phải lừa đảo "
        "không?».",
    ),
}


def _folded(text: str) -> str:
    return " " + fold(text).replace("/", " ").replace(".", " ") + " "


def check_input(question: str) -> Verdict | None:
    """The refusal for a question the tutor must not answer; None when it may."""
    f = _folded(question)
    low = unicodedata.normalize("NFC", question.lower())
    if SYSTEM_PROMPT.search(f):
        return REFERRALS["system_prompt"]
    if INJECTION.search(f) or INJECTION.search(" " + question.lower() + " "):
        return REFERRALS["injection"]
    hack = re.search(_HACK_ACT, f)
    if hack and not re.search(_VICTIM, f[: hack.start()]):
        return REFERRALS["hacking"]
    if PERSONAL_DATA.search(f):
        return REFERRALS["personal_data"]
    making = re.search(_CREATE, f) and re.search(_CREATE_ASK, f)
    if re.search(_FAKE, f) and making and not re.search(_DETECT, f):
        return REFERRALS["deepfake"]
    if re.search(_CHEM, f) and (re.search(_CROP, f) or re.search(_PESTICIDE_ANYWHERE, f)):
        return REFERRALS["pesticide"]
    if _medical(f):
        return REFERRALS["medical"]
    if LEGAL.search(f) and not re.search(_AI_TOOLS, f):
        return REFERRALS["legal"]
    if POLITICAL.search(f) or _POLITICAL_MARKED.search(low):
        return REFERRALS["political"]
    return None


def in_scope(question: str, corrected: Sequence[str] = ()) -> bool:
    """Whether the question is about something the course teaches (also after the
    retriever's typo corrections, e.g. 'deepfek' -> 'deepfake')."""
    return bool(TOPICS.search(_folded(" ".join([question, *corrected]))))


# --- after the model --------------------------------------------------------------------

UNKNOWN_MARK = "KHONG_BIET"  # the model's way to say the passages do not answer it
_NUMBER_UNIT = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:ml|cc|mg|g|gam|gram|kg|lit|l|vien|goi|chai|lieu|%)(?=\W|$)"
)
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)\d{8,10}(?!\d)")
_LINK = re.compile(r"https?://[^\s)]+|www\.[^\s)]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|vn|net|org|io)\b")
_MARKS = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]")
SHINGLE = 8  # words in a row shared with the system prompt that count as a leak


def shingles(text: str, n: int = SHINGLE) -> set[str]:
    words = fold(text).split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


GROUNDED_SHARE = 0.5  # of the answer's content words that the passages or question hold


def grounded(answer: str, sources: str) -> bool:
    """Whether the answer is written from the passages: most of its content words are in
    them (or in the question). A model that ignores the passages and answers from what
    it "knows" fails this, however fluent (checked on answers of 8+ content words)."""
    from bot.tutor.retriever import content_words, tokens  # the words retrieval uses

    have = {t.folded for t in tokens(sources)}
    words = [w for w in content_words(answer) if len(w) > 1]
    if len(words) < 8:
        return True
    return sum(w in have for w in words) >= GROUNDED_SHARE * len(words)


def says_unknown(answer: str) -> bool:
    """The model's KHONG_BIET, or an answer that is nothing but "không biết"."""
    return bool(re.search(rf"\b{UNKNOWN_MARK}\b", answer)) or fold(answer).strip(" .!") in (
        "khong biet",
        "khong_biet",
    )


def check_output(
    answer: str, *, system_prompt: str, sources: str, canaries: list[str] | tuple = ()
) -> str | None:
    """Why the model's answer must not be shown (a short reason), or None if it may."""
    text = answer.strip()
    if len(text) < 2:
        return "empty"
    if any(c and c.lower() in text.lower() for c in canaries):
        return "leak"
    if shingles(text) & (shingles(system_prompt) - shingles(sources)):
        return "leak"
    allowed = _folded(sources)
    for m in _NUMBER_UNIT.finditer(fold(text)):
        if f" {m.group(0)}" not in allowed and m.group(0) not in allowed:
            return "dose"
    for m in _PHONE.finditer(text.replace(" ", "").replace(".", "")):
        if m.group(0) not in sources.replace(" ", "").replace(".", ""):
            return "phone"
    for m in _LINK.finditer(text.lower()):
        link = m.group(0).rstrip(".,;")
        host = re.sub(r"^https?://|^www\.", "", link).split("/")[0]
        if host not in sources.lower():
            return "link"
    if POLITICAL.search(_folded(text)) and not POLITICAL.search(_folded(sources)):
        return "political"
    words = re.findall(r"\w+", text.lower())
    if len(words) >= 6 and sum(1 for w in words if _MARKS.search(w)) < 0.2 * len(words):
        return "not_vietnamese"
    return None


_MD = re.compile(r"^[ \t]*#+[ \t]*|\*\*|__|`", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*[-*][ \t]+", re.MULTILINE)


def clean(answer: str) -> str:
    """Plain text for a chat: no markdown emphasis or headings, bullets as '•'."""
    text = _MD.sub("", answer)
    text = _BULLET.sub("• ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def fit(text: str, limit: int) -> str:
    """Cut text to at most limit characters, at the end of a sentence when possible."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + "…"
