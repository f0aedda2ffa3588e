//! The words of signing in and of the team's workspaces (Manage, and Design and Analyse on
//! the server), apart from `i18n::Msg` so that a tablet's Collect does not download them.

use crate::i18n::{Lang, messages};

messages! {
    Words;
    SignIn => ("Sign in", "Войти"),
    SignOut => ("Sign out", "Выйти"),
    SignInTitle => ("Sign in to the server", "Вход на сервер"),
    SignInWhy => (
        "The project's server keeps its forms, records and team. Sign in with the account your manager gave you.",
        "На сервере проекта хранятся его анкеты, записи и команда. Войдите с учётной записью, которую выдал руководитель.",
    ),
    UserName => ("User name", "Имя пользователя"),
    Password => ("Password", "Пароль"),
    WrongPassword => ("The name or the password is wrong.", "Неверное имя или пароль."),
    TooManyTries => (
        "Too many failed sign-ins: wait a minute before trying again.",
        "Слишком много неудачных попыток: подождите минуту и попробуйте снова.",
    ),
    NoServer => (
        "No Dala server answers here: this copy of the app works on the device only. Connect to the network, or open the app from the project's server.",
        "Сервер Dala не отвечает: эта копия приложения работает только на устройстве. Подключитесь к сети или откройте приложение с сервера проекта.",
    ),
    SignedOut => ("The session has ended: sign in again.", "Сеанс завершён: войдите снова."),
    NotAllowed => (
        "Your role in this project does not allow this.",
        "Ваша роль в этом проекте этого не позволяет.",
    ),
    ServerRefused => ("The server refused", "Сервер отказал"),
    Manage => ("Manage", "Управление"),
    Project => ("Project", "Проект"),
    NoProjects => (
        "You have no role in any project yet: ask a manager for one.",
        "У вас пока нет роли ни в одном проекте: попросите руководителя назначить её.",
    ),
    NewProject => ("New project", "Новый проект"),
    Create => ("Create", "Создать"),
    Team => ("Team", "Команда"),
    Devices => ("Devices", "Устройства"),
    PublishedInstruments => ("Instruments", "Анкеты"),
    Progress => ("Field progress", "Ход полевых работ"),
    ReviewQueue => ("Review queue", "Очередь проверки"),
    AuditLog => ("Audit log", "Журнал действий"),
    Role => ("Role", "Роль"),
    GiveRole => ("Give the role", "Назначить роль"),
    RoleGiven => ("The role is given.", "Роль назначена."),
    NewAccount => ("New account", "Новая учётная запись"),
    AccountMade => (
        "The account is made: give it a role in the project.",
        "Учётная запись создана: назначьте ей роль в проекте.",
    ),
    RoleManager => ("Manager", "Руководитель"),
    RoleDesigner => ("Designer", "Разработчик анкет"),
    RoleAnalyst => ("Analyst", "Аналитик"),
    RoleEnumerator => ("Enumerator", "Интервьюер"),
    DeviceName => ("Device", "Устройство"),
    Enrol => ("Enrol a device", "Подключить устройство"),
    QrFor => ("Enrolment code for", "Код подключения для"),
    ShowQr => (
        "Open this code with the tablet's camera, once. It holds the device's key: do not share it.",
        "Откройте этот код камерой планшета один раз. В нём ключ устройства: не передавайте его другим.",
    ),
    Done => ("Done", "Готово"),
    Enrolled => ("Enrolled", "Подключено"),
    LastContact => ("Last contact", "Последняя связь"),
    RecordsSent => ("Records sent", "Отправлено записей"),
    LastRecord => ("Last record", "Последняя запись"),
    Revoke => ("Revoke", "Отключить"),
    Revoked => ("Revoked", "Отключено"),
    RevokeQuestion => (
        "Revoke this device? It can no longer send records; those it holds stay on it.",
        "Отключить устройство? Оно больше не сможет отправлять записи; записи на нём сохранятся.",
    ),
    DeviceRevoked => ("The device is revoked.", "Устройство отключено."),
    PublishFromDesign => (
        "Designers publish new versions from the Design workspace.",
        "Новые версии публикуются из раздела «Конструктор».",
    ),
    Form => ("Instrument", "Анкета"),
    Version => ("Version", "Версия"),
    Published => ("Published", "Опубликована"),
    When => ("When", "Когда"),
    Who => ("Who", "Кто"),
    What => ("What", "Что"),
    OnWhat => ("On what", "Над чем"),
    CountBy => ("Count by", "Считать по"),
    ByDevice => ("Device", "Устройству"),
    NothingYet => ("Nothing yet.", "Пока ничего нет."),
    Total => ("Total", "Всего"),
    InState => ("Records", "Записи"),
    NotReviewed => ("Not reviewed", "Не проверены"),
    HasIssues => ("Has issues", "Есть замечания"),
    Approved => ("Approved", "Одобрены"),
    Rejected => ("Rejected", "Отклонены"),
    ReviewState => ("Review", "Проверка"),
    Comment => ("Comment", "Комментарий"),
    SaveReview => ("Save the review", "Сохранить проверку"),
    ReviewSaved => ("The review is saved.", "Проверка сохранена."),
    FromServer => ("From the server", "С сервера"),
    LoadFromServer => ("Load the records", "Загрузить записи"),
    LoadingFromServer => ("Loading records from the server", "Загрузка записей с сервера"),
    ServerExport => ("Server export (.zip)", "Выгрузка с сервера (.zip)"),
    PublishToServer => ("Publish to the server", "Опубликовать на сервере"),
    PublishedOnServer => ("Published on the server", "Опубликовано на сервере"),
    AlreadyOnServer => (
        "This version is already on the server, unchanged.",
        "Эта версия уже есть на сервере без изменений.",
    ),
    FilesNotOnServer => (
        "This version's files are not all on the server yet: publish the version again from the device that has them.",
        "Файлы этой версии ещё не все на сервере: опубликуйте версию ещё раз с устройства, на котором они есть.",
    ),
    FileNotHere => (
        "is not on this device: import the form again together with its files",
        "нет на этом устройстве: импортируйте анкету ещё раз вместе с её файлами",
    ),
    FilesSent => ("Files sent", "Отправлено файлов"),
    OpenFromServer => ("Open from the server", "Открыть с сервера"),
    Open => ("Open", "Открыть"),
}

/// What a load of records from the server did, in words (counts after a colon: no plural
/// forms needed in either language).
pub fn loaded(lang: Lang, added: usize, changed: usize, deleted: usize) -> String {
    match lang {
        Lang::En => {
            format!("New records: {added} · changed: {changed} · deleted on the server: {deleted}")
        }
        Lang::Ru => format!(
            "Новых записей: {added} · изменённых: {changed} · удалённых на сервере: {deleted}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_written_in_every_language() {
        for word in Words::ALL {
            crate::i18n::assert_written(&format!("{word:?}"), |lang| word.text(lang));
        }
    }

    #[test]
    fn a_load_is_told_in_either_language() {
        assert_eq!(
            loaded(Lang::En, 61, 1, 0),
            "New records: 61 · changed: 1 · deleted on the server: 0"
        );
        assert!(loaded(Lang::Ru, 61, 1, 0).starts_with("Новых записей: 61"));
    }
}
