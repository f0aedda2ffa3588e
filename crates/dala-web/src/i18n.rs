//! The interface's own words in English and Russian. The interface language is the
//! enumerator's; the instrument's language (questions, choices) is chosen apart.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's name in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }
}

/// An instrument language's name in itself, for the form language switch (XLSForm columns
/// name languages by code, `label::ru`, or by name and code, `label::Russian (ru)`).
pub fn language_name(code: &str) -> String {
    let short = code
        .rsplit_once('(')
        .map_or(code, |(_, rest)| rest.trim_end_matches(')'))
        .trim();
    match short {
        "en" => "English".into(),
        "ru" => "Русский".into(),
        "ky" => "Кыргызча".into(),
        "uz" => "Oʻzbekcha".into(),
        "tg" => "Тоҷикӣ".into(),
        "kk" => "Қазақша".into(),
        _ => code.to_string(),
    }
}

/// Every fixed text of the interface, in English and Russian, in one table: the enum, the
/// list of all of them and their texts are made from it, so no message can lack a language.
macro_rules! messages {
    ($enum:ident; $($name:ident => ($en:expr, $ru:expr $(,)?)),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $enum {
            $($name),*
        }

        impl $enum {
            /// Every message, for the tests that check each has its words.
            pub const ALL: &'static [$enum] = &[$($enum::$name),*];

            fn both(self) -> (&'static str, &'static str) {
                match self {
                    $($enum::$name => ($en, $ru)),*
                }
            }

            pub fn text(self, lang: Lang) -> &'static str {
                let (en, ru) = self.both();
                match lang {
                    Lang::En => en,
                    Lang::Ru => ru,
                }
            }
        }
    };
}
// The team's words (`team_words`) are a second table, in the whole app only.
#[cfg_attr(not(feature = "server"), allow(unused_imports))]
pub(crate) use messages;

messages! {
    Msg;
    Tagline => ("Offline-first surveys", "Опросы без интернета"),
    Manage => ("Manage", "Управление"),
    Instruments => ("Instruments", "Анкеты"),
    NoInstruments => (
        "No instruments on this device yet: import one from a file.",
        "На устройстве пока нет анкет: загрузите анкету из файла.",
    ),
    StartInterview => ("New interview", "Новое интервью"),
    Drafts => ("Drafts", "Черновики"),
    Finalized => ("Finalized", "Завершённые"),
    Enumerator => ("Enumerator's name", "Имя интервьюера"),
    DeviceId => ("Device id", "Идентификатор устройства"),
    SendsTo => ("Records are sent to", "Записи отправляются на сервер"),
    LastSent => ("last sent", "последняя отправка"),
    SendNow => ("Send now", "Отправить сейчас"),
    Sent => ("sent", "отправлена"),
    WaitingLong => (
        "Some records have waited three days or more: connect this tablet to a network, or hand the records over in a file.",
        "Некоторые записи ждут отправки три дня или дольше: подключите планшет к сети или передайте записи файлом.",
    ),
    MayBeCleared => (
        "The browser may clear this tablet's storage when space runs low, and records are waiting: send them soon.",
        "Браузер может очистить хранилище планшета при нехватке места, а записи ждут отправки: отправьте их поскорее.",
    ),
    Refused => ("refused by the server", "не принята сервером"),
    Waiting => ("waiting to be sent", "ждёт отправки"),
    Sending => ("Sending…", "Отправка…"),
    ServerUnreachable => (
        "The server cannot be reached now: the records wait on this tablet and are sent when it can be.",
        "Сервер сейчас недоступен: записи ждут на планшете и будут отправлены, когда он станет доступен.",
    ),
    DeviceRevoked => (
        "The server no longer accepts this tablet. Every record stays on it: ask your manager to enrol it again, or hand the records over in a file.",
        "Сервер больше не принимает этот планшет. Все записи остаются на нём: попросите руководителя подключить его снова или передайте записи файлом.",
    ),
    ServerRefused => ("The server refused the records", "Сервер не принял записи"),
    RecordsRefused => (
        "Records the server refused (they stay on this tablet)",
        "Записи, которые сервер не принял (они остаются на планшете)",
    ),
    Save => ("Save", "Сохранить"),
    SetUpFirst => (
        "Enter your name before the first interview.",
        "Перед первым интервью введите своё имя.",
    ),
    ImportInstrument => (
        "Import an instrument (XLSForm .xlsx/.xls, or .json) with its files",
        "Загрузить анкету (XLSForm .xlsx/.xls или .json) с её файлами",
    ),
    Imported => ("Imported", "Загружено"),
    AttachmentTooLarge => (
        "this file is larger than 64 MB, the most a form's list may be",
        "файл больше 64 МБ, а список анкеты может быть не больше",
    ),
    PickOneForm => (
        "Pick one form (.xlsx, .xls or .json), with the files it reads (.csv, .xml, .geojson)",
        "Выберите одну анкету (.xlsx, .xls или .json) и файлы, которые она читает (.csv, .xml, .geojson)",
    ),
    Next => ("Next", "Далее"),
    Previous => ("Back", "Назад"),
    Pages => ("Pages", "Страницы"),
    Finalize => ("Finalize", "Завершить"),
    FinalizeBlocked => (
        "These answers must be fixed before the record can be finalized:",
        "Перед завершением нужно исправить эти ответы:",
    ),
    FinalizeReady => (
        "Every required answer is given. A finalized record can no longer be changed.",
        "Все обязательные ответы даны. Завершённую запись больше нельзя изменить.",
    ),
    Required => ("required", "обязательно"),
    Home => ("Home", "Главная"),
    Delete => ("Delete", "Удалить"),
    ConfirmDelete => (
        "Delete this draft? Its answers will be lost.",
        "Удалить этот черновик? Его ответы будут потеряны.",
    ),
    RemoveSent => ("Remove sent records", "Удалить отправленные записи"),
    ConfirmRemoveSent => (
        "Remove from this tablet the records the server has? The server keeps them; records not yet sent stay here.",
        "Удалить с планшета записи, которые уже есть на сервере? Сервер их хранит; неотправленные записи останутся здесь.",
    ),
    RemovedSent => ("Records removed from this tablet", "Записей удалено с планшета"),
    Cancel => ("Cancel", "Отмена"),
    Export => (
        "Export the finalized records not yet exported",
        "Выгрузить ещё не выгруженные завершённые записи",
    ),
    Exported => ("exported", "выгружено"),
    NotExported => ("not exported", "не выгружено"),
    NothingToExport => (
        "There are no finalized records left to export.",
        "Не осталось завершённых записей для выгрузки.",
    ),
    ReadOnlyRecord => (
        "This record is finalized and read-only.",
        "Эта запись завершена и доступна только для чтения.",
    ),
    AddInstance => ("Add", "Добавить"),
    RemoveInstance => ("Remove", "Удалить"),
    Search => ("Search", "Поиск"),
    Clear => ("Clear", "Очистить"),
    GetLocation => ("Record the location", "Определить местоположение"),
    AddLocation => ("Add my location", "Добавить моё местоположение"),
    TypePoint => ("Type a point", "Ввести точку вручную"),
    RemovePoint => ("Remove this point", "Удалить эту точку"),
    PointHint => (
        "latitude longitude, e.g. 42.87 74.59",
        "широта долгота, например 42.87 74.59",
    ),
    LocationFailed => (
        "The location could not be found",
        "Не удалось определить местоположение",
    ),
    Storage => ("Storage", "Хранилище"),
    StoragePersistent => (
        "kept until you delete it",
        "хранится, пока вы его не удалите",
    ),
    StorageBestEffort => (
        "the browser may clear it when space runs low",
        "браузер может очистить его при нехватке места",
    ),
    StorageFull => (
        "The device's storage is full: the last answer is kept on screen but not saved. Free some space and answer again.",
        "Память устройства заполнена: последний ответ остался на экране, но не сохранён. Освободите место и ответьте ещё раз.",
    ),
    SaveFailed => ("Saving failed", "Не удалось сохранить"),
    TakePhoto => ("Take a photo", "Сфотографировать"),
    ScanCode => ("Scan with the camera", "Сканировать камерой"),
    NoCodeFound => (
        "No code was found in the photo: take it again, closer, or type the code.",
        "В снимке не найден код: снимите ещё раз, ближе, или введите код вручную.",
    ),
    FilesCarried => ("Files", "Файлы"),
    KeepSignature => ("Keep the signature", "Сохранить подпись"),
    KeepDrawing => ("Keep the drawing", "Сохранить рисунок"),
    ClearDrawing => ("Clear", "Очистить"),
    DrawAgain => ("Draw again", "Нарисовать заново"),
    ChoosePicture => ("Choose a picture to mark", "Выбрать изображение"),
    NothingDrawn => ("Nothing is drawn yet.", "Пока ничего не нарисовано."),
    StopRecording => ("Stop", "Остановить"),
    RecordingNow => ("Recording…", "Идёт запись…"),
    RecordAudio => ("Record", "Записать звук"),
    RecordVideo => ("Record a video", "Снять видео"),
    ChooseFile => ("Choose a file", "Выбрать файл"),
    ReplaceFile => ("Replace", "Заменить"),
    RemoveFile => ("Remove", "Удалить"),
    Preparing => ("Preparing the file…", "Подготовка файла…"),
    FileMissing => (
        "The file of this answer is not on this device.",
        "Файла этого ответа на устройстве нет.",
    ),
    BarcodeTyped => (
        "This browser cannot read codes with the camera: type the code.",
        "Этот браузер не умеет читать коды камерой: введите код вручную.",
    ),
    UpdateReady => (
        "A new version of Dala is ready.",
        "Готова новая версия Dala.",
    ),
    UpdateApply => ("Update now", "Обновить"),
    FormLanguage => ("Form language", "Язык анкеты"),
    InterfaceLanguage => ("Interface language", "Язык интерфейса"),
    Acknowledge => ("OK", "OK"),
    Page => ("Page", "Страница"),
    Of => ("of", "из"),
    NoRecords => ("No records.", "Записей нет."),
    MoveUp => ("Move up", "Выше"),
    MoveDown => ("Move down", "Ниже"),
    LoadFailed => ("Could not load", "Не удалось загрузить"),
    RequiresAnswer => (
        "This question requires an answer.",
        "На этот вопрос нужно ответить.",
    ),
    NotAllowed => ("This answer is not allowed.", "Такой ответ недопустим."),
    Design => ("Design", "Конструктор"),
    Collect => ("Collect", "Сбор данных"),
    NewInstrument => ("New instrument", "Новая анкета"),
    Duplicate => ("Duplicate", "Копировать"),
    Edit => ("Edit", "Изменить"),
    ExportJson => ("Export .json", "Выгрузить .json"),
    ExportXlsx => ("Export .xlsx", "Выгрузить .xlsx"),
    Undo => ("Undo", "Отменить"),
    Redo => ("Redo", "Повторить"),
    Publish => ("Publish", "Опубликовать"),
    AddQuestion => ("+ Question", "+ Вопрос"),
    AddGroup => ("+ Group", "+ Группа"),
    MoveInto => ("Into the group above", "В группу выше"),
    MoveOut => ("Out of the group", "Из группы"),
    Problems => ("Problems", "Ошибки"),
    NoProblems => ("No problems.", "Ошибок нет."),
    Preview => ("Preview", "Предпросмотр"),
    Choices => ("Choices", "Варианты ответа"),
    AddChoice => ("+ Choice", "+ Вариант"),
    NewList => ("New list", "Новый список"),
    PublishedVersion => ("Published version", "Опубликована версия"),
    PublishBlocked => (
        "Fix these problems before publishing:",
        "Перед публикацией исправьте ошибки:",
    ),
    Breaking => (
        "These changes do not fit data already collected:",
        "Эти изменения не подходят к уже собранным данным:",
    ),
    PublishAs => ("Publish as version", "Опубликовать как версию"),
    UsedBy => (
        "Other questions use this one; deleting it breaks them:",
        "Этот вопрос используют другие; удаление нарушит их:",
    ),
    SelectQuestion => (
        "Pick a question in the outline, or add one.",
        "Выберите вопрос в структуре или добавьте новый.",
    ),
    Unpublished => ("not published yet", "ещё не опубликована"),
    PreviewBlocked => (
        "The preview runs once the problems are fixed.",
        "Предпросмотр заработает, когда ошибки будут исправлены.",
    ),
    Version => ("Version", "Версия"),
    Title => ("Title", "Название"),
    Outline => ("Outline", "Структура"),
    Question => ("Question", "Вопрос"),
    Changed => ("unpublished changes", "неопубликованные изменения"),
    Analyse => ("Analyse", "Анализ"),
    ImportBundles => ("Import bundles (.jsonl)", "Загрузить пакеты (.jsonl)"),
    File => ("File", "Файл"),
    Added => ("Added", "Добавлено"),
    Duplicates => ("Duplicates", "Дубликаты"),
    DraftsLeftOut => ("Drafts left out", "Черновики пропущены"),
    BadLines => ("Bad lines", "Ошибочные строки"),
    NotOnDevice => (
        "This instrument is not on this device; add it in Collect or Design first.",
        "Этой анкеты нет на устройстве; сначала добавьте её в «Сборе данных» или «Конструкторе».",
    ),
    Filters => ("Filters", "Фильтры"),
    Any => ("any", "любой"),
    Status => ("Status", "Статус"),
    From => ("From", "С"),
    To => ("To", "По"),
    Data => ("Data", "Данные"),
    Open => ("Open", "Открыть"),
    Tables => ("Tables", "Таблицы"),
    LoadPlan => ("Load the analysis plan", "Загрузить план анализа"),
    NoPlan => (
        "This instrument has no analysis plan: add tables below.",
        "У этой анкеты нет плана анализа: добавьте таблицы ниже.",
    ),
    AddTable => ("+ Table", "+ Таблица"),
    Kind => ("Table", "Таблица"),
    Frequency => ("Frequency", "Частоты"),
    Summary => ("Summary", "Сводка"),
    Crosstab => ("Crosstab", "Перекрёстная"),
    PrePost => ("Pre/post change", "Изменение до/после"),
    By => ("By", "В разрезе"),
    Weight => ("Weight", "Вес"),
    Columns => ("Columns", "Столбцы"),
    Wave => ("Wave", "Этап"),
    PairBy => ("Pair by", "Пары по"),
    None => ("none", "нет"),
    Remove => ("Remove", "Убрать"),
    Downloads => ("Downloads", "Выгрузки"),
    WideCsv => ("Data as CSV (.zip)", "Данные в CSV (.zip)"),
    TablesCsv => ("Tables as CSV", "Таблицы в CSV"),
    Codebook => ("Codebook", "Кодовая книга"),
    PlanFile => ("Analysis plan (.toml)", "План анализа (.toml)"),
    LoadingRecords => ("Loading records", "Загрузка записей"),
    Importing => ("Importing", "Загрузка"),
    NoTables => ("No tables yet.", "Таблиц пока нет."),
    RecordsShown => ("records shown", "записей показано"),
    Draft => ("draft", "черновик"),
    FinalizedOne => ("finalized", "завершена"),
    Started => ("Started", "Начато"),
    Record => ("Record", "Запись"),
    Instrument => ("Instrument", "Анкета"),
    Review => ("Review answers", "Обзор ответов"),
    ReviewShort => ("Review", "Обзор"),
    All => ("All", "Все"),
    CategoryOfInterest => ("Category of interest", "Интересующая категория"),
    ConfirmDeleteItem => (
        "Delete this question (and what it holds)?",
        "Удалить этот вопрос (и всё, что в нём)?",
    ),
    PreviewStale => (
        "The preview shows the form as it was before the latest changes: fix the problems listed to see them.",
        "Предпросмотр показывает анкету без последних изменений: исправьте перечисленные ошибки, чтобы увидеть их.",
    ),
    Settings => ("Form settings", "Параметры анкеты"),
    FormTitle => ("Title", "Название"),
    Languages => ("Languages", "Языки"),
    AddLanguage => ("Add a language", "Добавить язык"),
    RemoveLanguage => ("Remove", "Удалить"),
    ConfirmRemoveLanguage => (
        "Remove every text in this language?",
        "Удалить все тексты на этом языке?",
    ),
    LanguageCode => (
        "Language (a code such as ky, or a name and code: Kyrgyz (ky))",
        "Язык (код, например ky, или название и код: Kyrgyz (ky))",
    ),
    BackToPages => ("Questions", "К вопросам"),
    FormIdHelp => (
        "The form's identifier: records and bundles are filed under it",
        "Идентификатор анкеты: под ним хранятся записи и пакеты",
    ),
    VersionHelp => (
        "The version new interviews use; drafts keep theirs",
        "Версия для новых интервью; черновики сохраняют свою",
    ),
    DefaultLanguageHelp => (
        "The language shown where a text has no translation",
        "Язык, который показывается, если у текста нет перевода",
    ),
    InstanceNameHelp => (
        "An expression naming each record, such as concat(${district}, '-', ${wave})",
        "Выражение, дающее имя каждой записи, например concat(${district}, '-', ${wave})",
    ),
    NotAnswered => ("not answered", "нет ответа"),
    ConfirmRemoveInstance => ("Remove it with its answers?", "Удалить вместе с ответами?"),
    InstanceRemoved => ("Removed", "Удалено"),
    ExportAgain => (
        "Export every finalized record again",
        "Выгрузить все завершённые записи заново",
    ),
    FinalizedAs => ("Finalized", "Завершено"),
    DropBundles => (
        "Pick or drop bundle files from tablets; records already here are not imported twice.",
        "Выберите или перетащите файлы пакетов с планшетов; записи, которые уже есть, повторно не загружаются.",
    ),
}

/// Russian nouns take one of three forms after a number: 1 запись, 2 записи, 5 записей
/// (and 21 запись, 11 записей, 112 записей).
pub fn plural(lang: Lang, n: usize, forms: [&str; 3]) -> &str {
    match lang {
        Lang::En => {
            if n == 1 {
                forms[0]
            } else {
                forms[1]
            }
        }
        Lang::Ru => {
            let (last, last_two) = (n % 10, n % 100);
            if last == 1 && last_two != 11 {
                forms[0]
            } else if (2..=4).contains(&last) && !(12..=14).contains(&last_two) {
                forms[1]
            } else {
                forms[2]
            }
        }
    }
}

/// What keeps a list of points from being an answer: a point that is not latitude and
/// longitude (numbered from 1), or too few points.
pub fn points_problem(lang: Lang, problem: crate::geopoints::Problem) -> String {
    use crate::geopoints::Problem;
    match (lang, problem) {
        (Lang::En, Problem::BadPoint(n)) => format!("Point {n} is not a latitude and longitude"),
        (Lang::Ru, Problem::BadPoint(n)) => format!("Точка {n} — не широта и долгота"),
        (Lang::En, Problem::TooFew(n)) => format!("At least {n} points are needed"),
        (Lang::Ru, Problem::TooFew(n)) => format!(
            "Нужно не меньше {n} {}",
            plural(lang, n, ["точки", "точек", "точек"])
        ),
    }
}

/// "3 drafts" / "3 черновика".
pub fn count_drafts(lang: Lang, n: usize) -> String {
    let forms = match lang {
        Lang::En => ["draft", "drafts", "drafts"],
        Lang::Ru => ["черновик", "черновика", "черновиков"],
    };
    format!("{n} {}", plural(lang, n, forms))
}

/// "3 records waiting to be sent" / "3 записи ждут отправки".
pub fn count_waiting(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En if n == 0 => "Every finalized record is on the server".to_string(),
        Lang::Ru if n == 0 => "Все завершённые записи на сервере".to_string(),
        Lang::En => format!(
            "{n} {} waiting to be sent",
            plural(lang, n, ["record", "records", "records"])
        ),
        Lang::Ru => format!(
            "{n} {} отправки",
            plural(lang, n, ["запись ждёт", "записи ждут", "записей ждут"])
        ),
    }
}

/// A stored time (ISO 8601) as the day and the minute it names: `2015-03-18 10:42`.
pub fn short_time(iso: &str) -> String {
    iso.get(..16).unwrap_or(iso).replace('T', " ")
}

/// "1 finalized" / "1 завершённая".
pub fn count_finalized(lang: Lang, n: usize) -> String {
    let forms = match lang {
        Lang::En => ["finalized", "finalized", "finalized"],
        Lang::Ru => ["завершённая", "завершённые", "завершённых"],
    };
    format!("{n} {}", plural(lang, n, forms))
}

/// The name of a statistic of the tidy tables (`ci_low`, `effective_n`, ...) in the
/// interface language; the tidy CSV keeps the names themselves. An unknown one stays as it is.
pub fn statistic_name(lang: Lang, statistic: &str) -> String {
    let (en, ru) = match statistic {
        "count" => ("count", "число"),
        "percent" => ("%", "%"),
        "ci_low" => ("95% CI, low", "95% ДИ, от"),
        "ci_high" => ("95% CI, high", "95% ДИ, до"),
        "benchmark" => ("benchmark", "ориентир"),
        "difference" => ("difference", "разница"),
        "effective_n" => ("effective n", "эффективный n"),
        "missing" => ("missing", "нет ответа"),
        "n" => ("n", "n"),
        "mean" => ("mean", "среднее"),
        "sd" => ("sd", "ст. откл."),
        "median" => ("median", "медиана"),
        "q1" => ("Q1", "Q1"),
        "q3" => ("Q3", "Q3"),
        "min" => ("min", "мин."),
        "max" => ("max", "макс."),
        "row_percent" => ("row %", "% по строке"),
        "col_percent" => ("column %", "% по столбцу"),
        "chi_square" => ("chi-square", "хи-квадрат"),
        "df" => ("df", "ст. св."),
        "p" => ("p", "p"),
        "pairs" => ("pairs", "пары"),
        "pre_only" => ("before only", "только до"),
        "post_only" => ("after only", "только после"),
        "mean_change" => ("mean change", "среднее изменение"),
        "cohens_d" => ("Cohen's d", "d Коэна"),
        other => (other, other),
    };
    match lang {
        Lang::En => en,
        Lang::Ru => ru,
    }
    .to_string()
}

/// Beside a count that went down: the instances beyond it keep their answers, hidden.
pub fn held_answers(lang: Lang, repeat: &str, n: usize) -> String {
    match lang {
        Lang::En => format!(
            "The answers of \u{201c}{repeat}\u{201d} beyond this number ({n}) are kept but hidden; they come back if the number is raised."
        ),
        Lang::Ru => format!(
            "Ответы «{repeat}» сверх этого числа ({n}) сохранены, но скрыты; они вернутся, если число увеличить."
        ),
    }
}

/// A file that could not be stored because the device is full: the answer was taken back.
pub fn file_not_kept(lang: Lang, bytes: u64, left: Option<f64>) -> String {
    let size = crate::media::size_words(bytes, lang);
    let left = left.map(|l| crate::media::size_words(l as u64, lang));
    match (lang, left) {
        (Lang::En, Some(left)) => format!(
            "The device's storage is full: the file ({size}) was not kept and the answer is as it was. {left} is left: free some space and take it again."
        ),
        (Lang::En, None) => format!(
            "The device's storage is full: the file ({size}) was not kept and the answer is as it was. Free some space and take it again."
        ),
        (Lang::Ru, Some(left)) => format!(
            "Память устройства заполнена: файл ({size}) не сохранён, ответ остался прежним. Свободно {left}: освободите место и повторите."
        ),
        (Lang::Ru, None) => format!(
            "Память устройства заполнена: файл ({size}) не сохранён, ответ остался прежним. Освободите место и повторите."
        ),
    }
}

/// A file too big for a question to keep.
pub fn file_too_big(lang: Lang, bytes: u64) -> String {
    let size = crate::media::size_words(bytes, lang);
    let most = crate::media::size_words(crate::media::MAX_FILE_BYTES, lang);
    match lang {
        Lang::En => format!("This file is {size}; a question keeps files of up to {most}."),
        Lang::Ru => format!("Размер файла {size}; вопрос принимает файлы до {most}."),
    }
}

/// Why an answer was refused, as a sentence in the interface language.
pub fn refusal(lang: Lang, why: &dala_core::Refusal) -> String {
    use dala_core::Refusal::*;
    match (lang, why) {
        (Lang::En, why) => capitalised(&dala_words::refusal(why)),
        (Lang::Ru, NotAWholeNumber) => "Введите целое число".into(),
        (Lang::Ru, NotANumber) => "Введите число".into(),
        (Lang::Ru, OutOfRange { start, end }) => format!("Введите число от {start} до {end}"),
        (Lang::Ru, NotAChoice(code)) => format!("«{code}» нет среди вариантов ответа"),
        (Lang::Ru, NotADate) => "Введите дату (ГГГГ-ММ-ДД)".into(),
        (Lang::Ru, NotATime) => "Введите время (ЧЧ:ММ)".into(),
        (Lang::Ru, NotADateTime) => "Введите дату и время".into(),
        (Lang::Ru, NotAGeopoint) => "Введите широту и долготу".into(),
        (Lang::Ru, NotAGeotrace) => "Нужны хотя бы две точки (широта и долгота)".into(),
        (Lang::Ru, NotAGeoshape) => "Нужны хотя бы три разные точки (широта и долгота)".into(),
        (Lang::Ru, NotAnAcknowledgement) => "Отметьте или оставьте пустым".into(),
        (Lang::Ru, NotAFileName) => "Имя файла без папки и без управляющих символов".into(),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A message has its words in every language, and a Russian one is Russian (only names and
/// symbols are the same in both). Issue 16 was English in the Russian interface.
#[cfg(test)]
pub(crate) fn assert_written(name: &str, text: impl Fn(Lang) -> &'static str) {
    const SAME_IN_BOTH: &[&str] = &["CSV", "SVG", "PNG", "OK"];
    for lang in Lang::ALL {
        assert!(!text(lang).trim().is_empty(), "{name} in {lang:?}");
    }
    let (en, ru) = (text(Lang::En), text(Lang::Ru));
    if en.chars().any(|c| c.is_ascii_alphabetic()) && !SAME_IN_BOTH.contains(&en) {
        assert!(
            ru.chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))),
            "{name}: the Russian is not Russian: {ru}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_written_in_every_language() {
        for msg in Msg::ALL {
            assert_written(&format!("{msg:?}"), |lang| msg.text(lang));
        }
    }

    #[test]
    fn an_answer_refused_reads_as_a_sentence_in_either_language() {
        use dala_core::Refusal;
        assert_eq!(
            refusal(Lang::En, &Refusal::NotAWholeNumber),
            "Expected a whole number"
        );
        assert_eq!(
            refusal(Lang::Ru, &Refusal::NotAWholeNumber),
            "Введите целое число"
        );
        assert_eq!(
            refusal(
                Lang::Ru,
                &Refusal::OutOfRange {
                    start: 1.0,
                    end: 5.0
                }
            ),
            "Введите число от 1 до 5"
        );
    }

    #[test]
    fn russian_counts_take_the_three_forms_by_the_last_digits() {
        // The rule from any Russian grammar: 1, 21, 101 -> one; 2-4, 22-24 -> few;
        // 0, 5-20, 25-30, 111-114 -> many.
        let forms = ["запись", "записи", "записей"];
        for (n, want) in [
            (1, "запись"),
            (2, "записи"),
            (4, "записи"),
            (5, "записей"),
            (11, "записей"),
            (12, "записей"),
            (14, "записей"),
            (21, "запись"),
            (22, "записи"),
            (25, "записей"),
            (101, "запись"),
            (111, "записей"),
            (0, "записей"),
        ] {
            assert_eq!(plural(Lang::Ru, n, forms), want, "{n}");
        }
        assert_eq!(count_drafts(Lang::Ru, 3), "3 черновика");
        assert_eq!(count_drafts(Lang::En, 1), "1 draft");
        assert_eq!(count_drafts(Lang::En, 0), "0 drafts");
    }

    #[test]
    fn instrument_languages_are_named_in_themselves() {
        assert_eq!(language_name("ru"), "Русский");
        assert_eq!(language_name("Kyrgyz (ky)"), "Кыргызча");
        assert_eq!(language_name("fr"), "fr");
    }

    #[test]
    fn language_codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("kk"), None);
    }
}
