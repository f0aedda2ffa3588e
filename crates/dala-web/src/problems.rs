//! The words for the core's problems in the interface language: an instrument's diagnostics
//! (by their code, with the question and column they are at), the designer's refused edits and
//! what publishing would break. The data come from dala-core; the sentences are chosen here.
//! English comes from dala-words (the command line's words too); Russian is written here from
//! the same data.

#[cfg(feature = "analyse")]
use crate::analysis::Refusal;
use crate::i18n::Lang;
use dala_core::design::{Breaking, EditError};
use dala_core::record::LineProblem;
#[cfg(feature = "analyse")]
use dala_core::record::{BundleError, RECORD_FORMAT};
use dala_core::{AnswerError, Diagnostic, Finding};
use dala_expr::Problem;

/// A problem of the instrument as the designer reads it.
pub fn instrument_problem(lang: Lang, d: &Diagnostic) -> String {
    if lang == Lang::En {
        return dala_words::diagnostic(d);
    }
    let q = d.location.question.as_deref().unwrap_or_default();
    let column = d
        .location
        .column
        .map(dala_core::Column::as_str)
        .unwrap_or_default();
    match &d.finding {
        Finding::DuplicateName { name, .. } => {
            format!("Имя «{name}» уже занято другим вопросом")
        }
        Finding::InvalidName { name } => {
            format!("«{name}» — недопустимое имя: буквы, цифры, _, - и ., в начале буква или _")
        }
        Finding::Syntax(e) => format!(
            "Ошибка в выражении ({column}): {}",
            expression_problem(&e.problem)
        ),
        Finding::UnknownReference { name } => {
            format!("Выражение ({column}) ссылается на вопрос «{name}», которого нет")
        }
        Finding::RepeatReference { name, repeat } => format!(
            "Выражение ({column}) берёт «{name}» из повторяющейся группы «{repeat}»: снаружи это ответы всех её повторов сразу (сравнение верно, если верно хоть для одного; как текст — первый), как в ODK Web Forms, а ODK Collect при двух повторах выдаст ошибку; уточните через count(), sum(), max(), join() или indexed-repeat()"
        ),
        Finding::Cycle { path } => {
            format!(
                "Выражения зависят сами от себя (цикл): {}",
                path.join(" → ")
            )
        }
        Finding::SelectedOnNonSelect { function, name, .. } => {
            format!("{function}() в ({column}) применена к «{name}», а это не вопрос с выбором")
        }
        Finding::NoChoiceList => format!("У вопроса с выбором «{q}» нет списка вариантов"),
        Finding::UnknownChoiceList { list } => {
            format!("Списка вариантов «{list}» у вопроса «{q}» нет в листе choices")
        }
        Finding::ListOnNonSelect => {
            format!("У вопроса «{q}» есть список вариантов, но это не вопрос с выбором")
        }
        Finding::UnknownChoiceColumn {
            list,
            column,
            columns,
        } => format!(
            "В списке вариантов «{list}» нет столбца «{column}» (есть: {})",
            columns.join(", ")
        ),
        Finding::MissingDefaultLanguage { language } => {
            format!("У «{q}» нет текста на языке по умолчанию ({language})")
        }
        Finding::ConstraintOnNonInput { column, .. } => format!(
            "«{q}» не принимает ответа: {} здесь не к месту",
            column.as_str()
        ),
        Finding::MissingLabel => format!("У вопроса «{q}» нет ни текста, ни подсказки"),
        Finding::MissingCalculation => format!("У вычисления «{q}» нет формулы (calculation)"),
        Finding::EmptyChoiceList { list } => format!("Список вариантов «{list}» пуст"),
        Finding::DuplicateChoice { list, choice } => {
            format!("Вариант «{choice}» дважды встречается в списке «{list}»")
        }
        Finding::EmptyContainer { .. } => format!("В группе «{q}» нет вопросов"),
        Finding::ChildrenOnQuestion => {
            format!("«{q}» — вопрос, а не группа: в нём не может быть других вопросов")
        }
        Finding::RepeatCountOnNonRepeat => {
            format!("repeat_count у «{q}», но это не повторяющаяся группа")
        }
        Finding::MissingSetting { setting } => format!("В настройках нет {setting}"),
        Finding::AmbiguousReference { name } => format!(
            "Выражение ({column}) ссылается на «{name}», а вопросов с этим именем несколько (в разных группах)"
        ),
        Finding::CaptureOnNonGeopoint { .. } => format!(
            "Местоположение устройства записывается только в вопрос типа geopoint, а «{q}» другого типа"
        ),
        Finding::CaptureWithoutTrigger => format!(
            "У «{q}» (background-geopoint) нет trigger: вопроса, после изменения которого записывается местоположение"
        ),
        Finding::BadParameter { parameter, value } => match parameter.as_str() {
            "max-pixels" => format!(
                "«max-pixels={value}» — не число пикселей: укажите длинную сторону фото целым числом больше 0 (например, max-pixels=1024)"
            ),
            _ => format!(
                "«{parameter}={value}» — недопустимое значение; возможны: {}",
                dala_core::AUDIO_QUALITIES.join(", ")
            ),
        },
        Finding::MissingAttachment { name } => {
            format!("Форма читает приложенный файл «{name}», а его здесь нет")
        }
        Finding::CaptureWithCalculation => {
            format!(
                "«{q}» получает местоположение устройства, формулы (calculation) у него быть не может"
            )
        }
    }
}

/// An expression's own problem, for the Russian interface, from its data.
fn expression_problem(problem: &Problem) -> String {
    match problem {
        Problem::UnexpectedChar(c) => format!("символ «{c}» здесь стоять не может"),
        Problem::UnterminatedString => "строка без закрывающей кавычки".into(),
        Problem::EndsTooEarly => "выражение обрывается".into(),
        Problem::ExpectedValue { found } => format!("ожидалось значение, а стоит «{found}»"),
        Problem::ExpectedOperator { found } => {
            format!("ожидался оператор или конец, а стоит «{found}»")
        }
        Problem::UnmatchedClose => "у «)» нет открывающей «(»".into(),
        Problem::ExpectedPathStep { found } => format!("ожидался шаг пути, а стоит «{found}»"),
        Problem::ExpectedAttributeName => "после «@» нужно имя атрибута".into(),
        Problem::Unclosed { open, found: None } => format!("скобка «{open}» не закрыта"),
        Problem::Unclosed {
            open,
            found: Some(found),
        } => format!("скобка «{open}» не закрыта до «{found}»"),
        Problem::UnknownFunction { name } => format!("функции «{name}» нет"),
        Problem::WrongArity {
            function, given, ..
        } => format!("у {function}() не {given} аргументов"),
        Problem::MissingArgument { function } => format!("у {function}() не хватает аргумента"),
        Problem::IndexAfterEachRepeat => "indexed-repeat(): после каждой группы нужен номер".into(),
        Problem::TooDeep { limit } => format!("вложенность глубже {limit} уровней"),
        Problem::Empty => "выражение пустое".into(),
        Problem::InvalidReferenceName { name } => format!("«{name}» — недопустимое имя вопроса"),
        Problem::UnclosedReference => "у ссылки ${ нет закрывающей }".into(),
        Problem::ExpectedReference { .. } => "здесь нужна ссылка на вопрос (${имя})".into(),
        Problem::TooLong { bytes, limit } => {
            format!("выражение длиной {bytes} байт, больше {limit}")
        }
        Problem::UnknownQuestion { name } => format!("вопроса «{name}» нет"),
        Problem::UnknownRepeat { name } => format!("повторяющейся группы «{name}» нет"),
        Problem::TooMuchWork => "выражение требует слишком много вычислений".into(),
        Problem::NotADate {
            value,
            date_time: false,
            ..
        } => format!("«{value}» — не дата (ГГГГ-ММ-ДД)"),
        Problem::NotADate { value, .. } => format!("«{value}» — не дата и время"),
        Problem::NotAGeopoint { value } => format!("«{value}» — не координаты (широта долгота)"),
        Problem::BadRegex { detail } => format!("неверное регулярное выражение: {detail}"),
        Problem::PositionOutsideRepeat => {
            "position() работает только в повторяющейся группе".into()
        }
        Problem::ResultTooLong { limit } => format!("результат длиннее {limit} байт"),
        Problem::PathsUnavailable
        | Problem::InstanceGone
        | Problem::NoRepeats { .. }
        | Problem::InstanceNotAtStart
        | Problem::UuidLength
        | Problem::UnknownDigestAlgorithm { .. }
        | Problem::UnknownDigestEncoding { .. } => "выражение не вычисляется".into(),
    }
}

/// Why the engine did not take an answer, or an instance added or removed.
pub fn answer_error(lang: Lang, e: &AnswerError) -> String {
    if lang == Lang::En {
        return dala_words::answer_error(e);
    }
    match e {
        AnswerError::NoSuchNode => "Такого вопроса или экземпляра нет".into(),
        AnswerError::NotAnswerable(q) => format!(
            "На «{q}» нельзя ответить: он вычисляется, только для чтения, это заметка или он сейчас не задаётся"
        ),
        AnswerError::Invalid { reason, .. } => crate::i18n::refusal(lang, reason),
        AnswerError::ReadOnly => "Эта запись завершена: её можно читать, но не менять".into(),
        AnswerError::NotARepeat(q) => format!(
            "«{q}» — не повторяющаяся группа, в которую интервьюер добавляет и из которой удаляет"
        ),
    }
}

/// Why the designer's edit was refused.
pub fn edit_error(lang: Lang, e: &EditError) -> String {
    if lang == Lang::En {
        return dala_words::edit_error(e);
    }
    match e {
        EditError::NoItem(_) => "Такого элемента нет".into(),
        EditError::BadIndex { .. } => "Такой позиции нет".into(),
        EditError::NotAContainer => "Вопросы может содержать только группа".into(),
        EditError::InvalidName(name) => {
            format!("«{name}» — недопустимое имя: буквы, цифры, _ . или -, в начале буква или _")
        }
        EditError::NameTaken(name) => format!("Имя «{name}» уже занято"),
        EditError::UnknownType(name) => format!("«{name}» — не тип вопроса"),
        EditError::GroupNotEmpty => "Группа с вопросами не может стать вопросом".into(),
        EditError::Empty(what) => format!("Поле {what} не может быть пустым"),
        EditError::NoMove => "Дальше двигать некуда".into(),
        EditError::LanguageTaken(language) => format!("Язык «{language}» уже есть"),
        EditError::NoLanguage(language) => format!("Языка «{language}» нет"),
    }
}

/// What publishing would break for data already collected.
pub fn breaking(lang: Lang, b: &Breaking) -> String {
    if lang == Lang::En {
        return dala_words::breaking(b);
    }
    match b {
        Breaking::TypeChanged { name, from, to } => format!(
            "«{name}» меняет тип с {} на {}, а ответы на него уже есть",
            from.as_str(),
            to.as_str()
        ),
        Breaking::Removed { name } => format!("«{name}» удалён, а ответы на него уже есть"),
        Breaking::ChoiceRemoved { name, choice } => {
            format!("Вариант «{choice}» вопроса «{name}» удалён, а ответы его используют")
        }
    }
}

/// Why a line of a bundle was not taken, its code first.
pub fn line_problem(lang: Lang, problem: &LineProblem) -> String {
    if lang == Lang::En {
        return dala_words::line_problem(problem);
    }
    let code = problem.code();
    match problem {
        // The detail is the JSON reader's own account of where the line stops making sense.
        LineProblem::NotJson { detail } => {
            format!("{code} не JSON (строка повреждена или оборвана): {detail}")
        }
        LineProblem::NotARecord { detail } => format!("{code} не запись анкеты: {detail}"),
        LineProblem::RecordFormat(format) => {
            format!("{code} запись формата {format}, эта версия Dala читает формат 1")
        }
        LineProblem::OtherInstrument { record, bundle } => {
            format!("{code} запись анкеты «{record}», а пакет — анкеты «{bundle}»")
        }
        LineProblem::SecondHeader { instrument } => format!(
            "{code} второй заголовок пакета (анкеты «{instrument}»): два пакета склеены в один файл?"
        ),
        LineProblem::NotUtf8 { at } => {
            format!("{code} с байта {at} строки текст не в UTF-8 (повреждённая копия?)")
        }
        LineProblem::TooLong { bytes } => {
            format!("{code} строка длиной {bytes} байт; строка записи не длиннее 16 МиБ")
        }
        LineProblem::BadFile { name, why } => {
            use dala_core::record::FileProblem;
            let why = match why {
                FileProblem::NotListed => "ни одна запись перед ним его не называет".to_string(),
                FileProblem::OutOfOrder { part, expected } => {
                    format!("часть {part} пришла вместо части {expected}")
                }
                FileProblem::NotBase64 => "его данные не в base64".to_string(),
                FileProblem::NotAsDescribed => {
                    "это не тот файл, что описан в записи (размер или SHA-256)".to_string()
                }
                FileProblem::Incomplete { parts, got } => {
                    format!("пришло {got} из {parts} частей (пакет оборван?)")
                }
                FileProblem::TooLarge { bytes } => format!(
                    "его размер {bytes} байт, больше {} МиБ, допустимых для файла в пакете",
                    dala_core::record::MAX_BUNDLE_FILE_BYTES >> 20
                ),
            };
            format!("{code} файл «{name}» пропущен, запись сохранена: {why}")
        }
    }
}

/// A problem with an analysis plan, its code first.
#[cfg(feature = "analyse")]
pub fn plan_error(lang: Lang, e: &dala_aggregate::plan::PlanError) -> String {
    use dala_aggregate::plan::PlanError;
    if lang == Lang::En {
        return dala_words::plan_error(e);
    }
    let code = e.code();
    match e {
        PlanError::Toml {
            line: Some(line),
            detail,
        } => format!("строка {line}: {code} {detail}"),
        PlanError::Toml { line: None, detail } => format!("{code} {detail}"),
        PlanError::Missing { table, key } => format!("{code} таблица «{table}»: нужен ключ {key}"),
        PlanError::UnknownQuestion { table, key, name } => {
            format!("{code} таблица «{table}»: {key}: вопроса «{name}» нет")
        }
        PlanError::Filter { table, problem, .. } => format!(
            "{code} таблица «{table}»: ошибка в фильтре: {}",
            expression_problem(&problem.problem)
        ),
    }
}

/// Why a whole bundle was not taken.
#[cfg(feature = "analyse")]
pub fn refusal(lang: Lang, why: &Refusal) -> String {
    match (lang, why) {
        (Lang::En, Refusal::Bundle(e)) => dala_words::bundle_error(e),
        (_, Refusal::Bundle(e)) => {
            let (line, code) = (e.line(), e.code());
            match e {
                BundleError::Header { detail, .. } => {
                    format!("строка {line}: {code} это не пакет Dala: {detail}")
                }
                BundleError::OtherKind { kind, .. } => {
                    format!("строка {line}: {code} это не пакет Dala: тип файла «{kind}»")
                }
                BundleError::HeaderTooLong { bytes, .. } => format!(
                    "строка {line}: {code} это не пакет Dala: первая строка длиной {bytes} байт"
                ),
                BundleError::UnsupportedFormat { format, .. } => format!(
                    "строка {line}: {code} пакет формата {format}, эта версия Dala читает форматы с {RECORD_FORMAT} по {}",
                    dala_core::record::BUNDLE_FORMAT_RAW_FILES
                ),
                BundleError::Empty => format!("строка {line}: {code} файл пуст"),
            }
        }
        (_, Refusal::NotOnDevice) => crate::i18n::Msg::NotOnDevice.text(lang).to_string(),
        (_, Refusal::Failed(e)) => e.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dala_core::Instrument;

    /// Every problem of a form full of mistakes reads in Russian from its data (issue 16,
    /// item 7): no English sentence of the core comes through, and the names it is about are
    /// in it.
    #[test]
    fn a_form_full_of_mistakes_reads_in_russian() {
        let instrument = Instrument::from_json(
            r#"{"format": 1, "settings": {"form_id": "t", "version": "1", "default_language": "en"},
            "survey": [
                {"type": "integer", "name": "age", "label": {"en": "Age"}, "relevant": "${agee} > 1"},
                {"type": "integer", "name": "n", "label": {"en": "N"}, "constraint": ". >"},
                {"type": "calculate", "name": "a", "calculation": "${b} + 1"},
                {"type": "calculate", "name": "b", "calculation": "${a} + 1"},
                {"type": "note", "name": "hello", "label": {"en": "Hi"}, "required": "yes"},
                {"type": "group", "name": "g", "label": {"en": "G"}, "children": []},
                {"type": "select_one", "name": "s", "list": "nope", "label": {"en": "S"}}
            ]}"#,
        )
        .expect("well-formed");
        let problems = dala_core::validate(&instrument);
        assert_eq!(problems.len(), 6, "{problems:#?}");
        for d in &problems {
            let ru = instrument_problem(Lang::Ru, d);
            let en = instrument_problem(Lang::En, d);
            assert!(ru.chars().any(|c| ('а'..='я').contains(&c)), "{ru}");
            assert_ne!(ru, en);
        }
        let said: Vec<String> = problems
            .iter()
            .map(|d| instrument_problem(Lang::Ru, d))
            .collect();
        assert!(said.iter().any(|s| s.contains("«agee»")), "{said:#?}");
        assert!(said.iter().any(|s| s.contains("a → b → a")), "{said:#?}");
        assert!(said.iter().any(|s| s.contains("«nope»")), "{said:#?}");
        assert!(
            problems
                .iter()
                .any(|d| instrument_problem(Lang::En, d) == "the expression ends too early"),
            "the expression's own problem, worded from its data"
        );
    }

    #[test]
    fn a_designers_problem_reads_in_russian_with_its_question() {
        let instrument = Instrument::from_json(
            r#"{"format": 1, "settings": {"form_id": "t", "version": "1", "default_language": "en"},
            "survey": [{"type": "select_one", "name": "sex", "label": {"en": "Sex"}}]}"#,
        )
        .expect("well-formed");
        let problems = dala_core::validate(&instrument);
        let missing = problems
            .iter()
            .find(|d| d.code == dala_core::VCode::MissingChoiceList)
            .expect("V008");
        assert_eq!(
            instrument_problem(Lang::Ru, missing),
            "У вопроса с выбором «sex» нет списка вариантов"
        );
        assert_eq!(
            instrument_problem(Lang::En, missing),
            "the select question `sex` needs a choice list"
        );
        assert_eq!(
            edit_error(Lang::Ru, &EditError::NameTaken("sex".into())),
            "Имя «sex» уже занято"
        );
        let other = LineProblem::OtherInstrument {
            record: "fast".into(),
            bundle: "police".into(),
        };
        assert_eq!(
            line_problem(Lang::Ru, &other),
            "B004 запись анкеты «fast», а пакет — анкеты «police»"
        );
        assert_eq!(
            line_problem(Lang::En, &other),
            "B004 the record is for `fast`, the bundle for `police`"
        );
    }
}
