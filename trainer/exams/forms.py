from wtforms import (BooleanField, DateTimeLocalField, FieldList, FloatField, FormField, IntegerField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from trainer.exams.models import FOCUS_LABELS, MULTIPLE_LABELS, RELEASE_LABELS, REVIEW_LABELS
from trainer.forms import Form

SECTION_TYPES = [("", "（不用）"), ("single", "单选题"), ("multiple", "多选题"), ("judge", "判断题"), ("blank", "填空题"),
                 ("case", "案例分析题")]


class SectionForm(Form):
    class Meta(Form.Meta):
        csrf = False

    title = StringField("名称", validators=[Optional(), Length(max=40)])
    type = SelectField("题型", choices=SECTION_TYPES, validators=[Optional()])
    count = IntegerField("题数", validators=[Optional(), NumberRange(1, 200, "题数应在 1–200 之间。")])
    points = FloatField("每题分值", validators=[Optional(), NumberRange(0.5, 50, "每题分值应在 0.5–50 之间。")])
    laws = SelectMultipleField("限定法律（可多选，不选为不限）", validators=[Optional()])
    difficulties = SelectMultipleField("限定难度", choices=[("1", "简单"), ("2", "中等"), ("3", "困难")],
                                       validators=[Optional()])
    chapters = SelectMultipleField("限定章", validators=[Optional()])
    tags = SelectMultipleField("限定标签", validators=[Optional()])
    banks = SelectMultipleField("限定题库", validators=[Optional()])


class ExamForm(Form):
    title = StringField("考试名称", validators=[DataRequired("请填写考试名称。"), Length(max=128)])
    instructions = TextAreaField("考试说明", validators=[Optional(), Length(max=2000)])
    open_at = DateTimeLocalField("开始时间", format="%Y-%m-%dT%H:%M", validators=[DataRequired("请填写开始时间。")])
    close_at = DateTimeLocalField("结束时间", format="%Y-%m-%dT%H:%M", validators=[DataRequired("请填写结束时间。")])
    time_limit_minutes = IntegerField("限时（分钟，留空为不限时）", validators=[Optional(), NumberRange(1, 600)])
    pass_mark = FloatField("及格分（满分 100）", default=60, validators=[DataRequired(), NumberRange(1, 100)])
    max_attempts = IntegerField("允许作答次数", default=1, validators=[DataRequired(), NumberRange(1, 10)])
    counting = SelectField("多次作答计分", choices=[("best", "取最高分"), ("last", "取最后一次")])
    release_policy = SelectField("成绩公布", choices=list(RELEASE_LABELS.items()))
    review_policy = SelectField("交卷后可查看", choices=list(REVIEW_LABELS.items()))
    review_after_close = BooleanField("考试结束后才显示对错和答案", default=True)
    multiple_policy = SelectField("多选题计分", choices=list(MULTIPLE_LABELS.items()))
    focus_policy = SelectField("切屏处理", choices=list(FOCUS_LABELS.items()))
    focus_limit = IntegerField("切屏次数上限", default=3, validators=[DataRequired(), NumberRange(1, 50)])
    units = SelectMultipleField("参考单位（含下级单位）", coerce=int, validators=[Optional()])
    logins = TextAreaField("其他参考人员工号（每行一个，可选）", validators=[Optional(), Length(max=20000)])
    sections = FieldList(FormField(SectionForm), min_entries=5, max_entries=5)
    fixed_keys = TextAreaField("固定试卷（可选）：题目编号，每行一个", validators=[Optional(), Length(max=20000)])


class OverrideForm(Form):
    login = StringField("工号", validators=[DataRequired("请填写工号。"), Length(max=32)])
    extra_minutes = IntegerField("额外时间（分钟）", default=0, validators=[Optional(), NumberRange(0, 240)])
    open_at = DateTimeLocalField("个别开始时间（可选）", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    close_at = DateTimeLocalField("个别结束时间（可选）", format="%Y-%m-%dT%H:%M", validators=[Optional()])
