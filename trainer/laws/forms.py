from trainer.forms import Form as FlaskForm
from flask_wtf.file import FileField, FileRequired


class LawUploadForm(FlaskForm):
    file = FileField("法律文本（.docx / .txt / .md）", validators=[FileRequired("请选择要上传的文件。")])
