//! Sending finalized records to the server a tablet is enrolled with: the outbox drained a
//! slice at a time, each record counted as sent only with the server's receipt, which is
//! stored with it. Plain Rust over dala-core's [`Store`]; the request itself is passed in
//! (the browser's fetch in the app, a stand-in in the tests).

use crate::catalog::bundles;
use dala_core::store::{Receipt, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The setting an enrolment is kept under (as JSON).
pub const ENROLMENT_SETTING: &str = "enrolment";
/// The setting of the last time records were sent (the device's clock, ISO 8601).
pub const LAST_SENT_SETTING: &str = "last_sent";

/// Records sent in one request at most.
pub const SLICE: usize = 50;

/// Receipts stored together at least this many at a time during a drain (the rest when it
/// ends). A tab closed in the middle of a drain sends at most these again, and the server
/// answers a record it holds with the receipt it gave.
pub const ACKNOWLEDGE_EVERY: usize = 4 * SLICE;

/// Requests on their way at once during a drain. Two keep the line busy while the device
/// reads an answer and stores its receipts; more would only queue at a server that commits
/// them one after the other.
pub const IN_FLIGHT: usize = 2;

/// A tablet's enrolment: the server it sends to, its project, and its device token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The server's address (the app's own origin: the link opened it from there).
    pub server: String,
    pub project: i64,
    pub token: String,
}

impl Enrolment {
    /// The enrolment an enrolment link's fragment (`project=1&token=...`) gives on the
    /// server at `origin`; None for any other fragment.
    pub fn from_fragment(origin: &str, fragment: &str) -> Option<Enrolment> {
        let fields: BTreeMap<&str, &str> = fragment
            .trim_start_matches('#')
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        let project = fields.get("project")?.parse().ok().filter(|p| *p > 0)?;
        let token = fields.get("token")?;
        let plain = !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        plain.then(|| Enrolment {
            server: origin.trim_end_matches('/').to_string(),
            project,
            token: (*token).to_string(),
        })
    }

    /// Where the records go.
    pub fn submissions_url(&self) -> String {
        format!(
            "{}/api/v1/projects/{}/submissions",
            self.server, self.project
        )
    }
}

/// The enrolment kept on the device, if any.
pub async fn enrolment<S: Store>(store: &S) -> Result<Option<Enrolment>, StoreError> {
    Ok(store
        .setting(ENROLMENT_SETTING)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok()))
}

pub async fn enrol<S: Store>(store: &S, enrolment: &Enrolment) -> Result<(), StoreError> {
    let text = serde_json::to_string(enrolment).map_err(|e| StoreError::Backend(e.to_string()))?;
    store.set_setting(ENROLMENT_SETTING, &text).await
}

/// The server's answer to one request: its HTTP status and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Why a drain stopped before the outbox was empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// No answer (no network, the server down): try again later.
    Unreachable(String),
    /// The server no longer knows this device (revoked): every record stays on it.
    Revoked,
    /// Any other answer: its status and the server's code, if it gave one.
    Refused { status: u16, code: String },
}

/// A record the server refused: it stays on the device, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedRecord {
    pub instance_id: String,
    pub code: String,
    pub message: String,
}

/// What a drain did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    /// Records the server now holds (new to it, or held already: a receipt either way).
    pub sent: usize,
    pub refused: Vec<RefusedRecord>,
    pub stopped: Option<Stopped>,
}

/// One record's line of the server's report.
#[derive(Deserialize)]
struct Line {
    instance_id: Option<String>,
    outcome: String,
    receipt: Option<ServerReceipt>,
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ServerReceipt {
    received: String,
}

#[derive(Deserialize)]
struct Report {
    records: Vec<Line>,
}

/// Sends the outbox to the enrolled server a slice at a time until it is empty or a request
/// fails; `send(url, token, body)` makes one request. Each record the server holds gets its
/// receipt stored; one it refuses stays, and is not sent again in this drain.
///
/// `IN_FLIGHT` requests are on their way at once, and the device's own work (the next
/// bundle, the receipts) is done while they are: on a slow network the wait of one hides
/// the other's, and on a fast one the device's writes hide behind the network's wait.
pub async fn drain<S, F>(
    store: &S,
    enrolment: &Enrolment,
    device_id: &str,
    now: &str,
    mut send: impl FnMut(String, String, Vec<u8>) -> F,
) -> Result<Drained, StoreError>
where
    S: Store,
    F: std::future::Future<Output = Result<Answer, String>>,
{
    let mut drained = Drained::default();
    // The outbox is read in its order, its first slice alone so that the first request
    // leaves before the rest is read. A record refused stays behind the read: it is not
    // sent again in this drain. One finalized during the drain is sent by the next (the
    // runner drains again then), or by this one if finalized before the second read.
    let mut slices = Pages::default();
    let mut queued: std::collections::VecDeque<Vec<u8>> = std::collections::VecDeque::new();
    let mut ready = next_bundle(store, &mut slices, &mut queued, device_id, now).await?;
    let mut in_flight = std::collections::VecDeque::new();
    // Receipts not stored yet: they are stored a few slices at a time (each IndexedDB
    // transaction costs more than a request), and whatever is left when the drain ends.
    let mut pending: Vec<Receipt> = Vec::new();
    let mut failed = None;
    // Receipts being stored while the drain goes on: a store's write takes longer than a
    // request, and waiting for it would hold the next ones back.
    let mut storing = Background::default();
    loop {
        if let Err(e) = storing.outcome() {
            failed.get_or_insert(e);
        }
        // Requests leave until IN_FLIGHT are on their way (none once one has failed); the
        // bundle after each is made while it travels.
        while failed.is_none() && in_flight.len() < IN_FLIGHT {
            let Some(body) = ready.take() else { break };
            let mut request = Box::pin(send(
                enrolment.submissions_url(),
                enrolment.token.clone(),
                body,
            ));
            let (answer, next) = storing
                .alongside(both(
                    started(request.as_mut()),
                    next_bundle(store, &mut slices, &mut queued, device_id, now),
                ))
                .await;
            in_flight.push_back(answer.map_or(Sent::Waiting(request), Sent::Answered));
            match next {
                Ok(next) => ready = next,
                Err(e) => failed = Some(e),
            }
        }
        let Some(oldest) = in_flight.pop_front() else {
            break;
        };
        let answer = storing.alongside(oldest.answer()).await;
        match read_answer(answer, enrolment, &mut drained) {
            Ok(receipts) => {
                drained.sent += receipts.len();
                pending.extend(receipts);
                if pending.len() >= ACKNOWLEDGE_EVERY && storing.is_idle() {
                    let due = std::mem::take(&mut pending);
                    storing.start(async move { store.acknowledge(&due).await });
                }
            }
            // The requests already on their way are still answered: their receipts count.
            Err(stopped) => {
                drained.stopped.get_or_insert(stopped);
                ready = None;
            }
        }
    }
    let stored = storing.finish().await;
    store.acknowledge(&pending).await?;
    stored?;
    if let Some(e) = failed {
        return Err(e);
    }
    if drained.sent > 0 {
        store.set_setting(LAST_SENT_SETTING, now).await?;
    }
    Ok(drained)
}

/// A store's write going on by itself.
type StoreTask<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + 'a>>;

/// One piece of work (a store's write) that goes on while the drain awaits other things, and
/// what became of the last one that ended.
struct Background<'a> {
    task: Option<StoreTask<'a>>,
    outcome: Result<(), StoreError>,
}

impl Default for Background<'_> {
    fn default() -> Self {
        Background {
            task: None,
            outcome: Ok(()),
        }
    }
}

impl<'a> Background<'a> {
    fn is_idle(&self) -> bool {
        self.task.is_none()
    }

    fn start(&mut self, task: impl std::future::Future<Output = Result<(), StoreError>> + 'a) {
        self.task = Some(Box::pin(task));
    }

    /// What the last task that ended came to (taken: an error is reported once).
    fn outcome(&mut self) -> Result<(), StoreError> {
        std::mem::replace(&mut self.outcome, Ok(()))
    }

    fn poll_task(&mut self, cx: &mut std::task::Context<'_>) {
        if let Some(task) = self.task.as_mut()
            && let std::task::Poll::Ready(outcome) = task.as_mut().poll(cx)
        {
            self.task = None;
            if self.outcome.is_ok() {
                self.outcome = outcome;
            }
        }
    }

    /// Runs `future` to its end, the task going on meanwhile.
    async fn alongside<F: std::future::Future>(&mut self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            self.poll_task(cx);
            future.as_mut().poll(cx)
        })
        .await
    }

    /// Waits for the task to end: what it and any before it came to.
    async fn finish(&mut self) -> Result<(), StoreError> {
        std::future::poll_fn(|cx| {
            self.poll_task(cx);
            if self.is_idle() {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        self.outcome()
    }
}

/// Where a drain is in the outbox: the first slice is read alone, so that the first request
/// leaves at once, then the rest in one read while it travels (each read is a transaction,
/// which costs more than its rows); the records not sent yet are kept here.
#[derive(Default)]
struct Pages {
    read: std::collections::VecDeque<dala_core::Submission>,
    after: Option<dala_core::store::Waiting>,
    done: bool,
}

impl Pages {
    /// The next slice of the outbox; empty once it is all sent.
    async fn next<S: Store>(
        &mut self,
        store: &S,
    ) -> Result<Vec<dala_core::Submission>, StoreError> {
        if self.read.is_empty() && !self.done {
            let limit = if self.after.is_none() {
                SLICE
            } else {
                usize::MAX
            };
            let page = store.outbox_after(self.after.as_ref(), limit).await?;
            self.done = page.len() < limit;
            if let Some(last) = page.last() {
                self.after = Some(dala_core::store::Waiting {
                    finalized: last.finalized.clone(),
                    instance_id: last.instance_id.clone(),
                });
            }
            self.read.extend(page);
        }
        let n = self.read.len().min(SLICE);
        Ok(self.read.drain(..n).collect())
    }
}

/// A request started: waiting for its answer, or answered already.
enum Sent<F: std::future::Future> {
    Waiting(std::pin::Pin<Box<F>>),
    Answered(F::Output),
}

impl<F: std::future::Future> Sent<F> {
    async fn answer(self) -> F::Output {
        match self {
            Sent::Waiting(request) => request.await,
            Sent::Answered(answer) => answer,
        }
    }
}

/// Polls a future once, so that it starts (a fetch is made when first polled): its output
/// if it is done already.
async fn started<F: std::future::Future>(mut future: std::pin::Pin<&mut F>) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match future.as_mut().poll(cx) {
            std::task::Poll::Ready(output) => Some(output),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

/// The next bundle to send: one of those of the slice read last, else the next slice's
/// (a slice makes a bundle per instrument version), with their files read from the store.
async fn next_bundle<S: Store>(
    store: &S,
    slices: &mut Pages,
    queued: &mut std::collections::VecDeque<Vec<u8>>,
    device_id: &str,
    now: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    while queued.is_empty() {
        let waiting = slices.next(store).await?;
        if waiting.is_empty() {
            return Ok(None);
        }
        let waiting = waiting.as_slice();
        let mut stored = BTreeMap::new();
        for record in waiting {
            for described in &record.files {
                if let Some(bytes) = store.get_file(&record.instance_id, &described.name).await? {
                    stored.insert((record.instance_id.clone(), described.name.clone()), bytes);
                }
            }
        }
        let files = |record: &dala_core::Submission, name: &str| {
            stored
                .get(&(record.instance_id.clone(), name.to_string()))
                .cloned()
        };
        queued.extend(
            bundles(waiting, device_id, now, files)
                .into_iter()
                .map(|b| b.bytes),
        );
    }
    Ok(queued.pop_front())
}

/// The receipts of the records a report says the server holds; the refused ones noted in
/// `drained`. Err: why the drain stops here.
fn read_answer(
    answer: Result<Answer, String>,
    enrolment: &Enrolment,
    drained: &mut Drained,
) -> Result<Vec<Receipt>, Stopped> {
    let answer = answer.map_err(Stopped::Unreachable)?;
    let report: Option<Report> = serde_json::from_str(&answer.body).ok();
    let Some(report) =
        report.filter(|_| answer.status < 400 || answer.status == 409 || answer.status == 422)
    else {
        return Err(stopped_by(&answer));
    };
    let mut receipts = Vec::new();
    for line in report.records {
        let Some(instance_id) = line.instance_id else {
            continue;
        };
        match (line.outcome.as_str(), line.receipt) {
            ("added" | "duplicate", Some(receipt)) => receipts.push(Receipt {
                instance_id,
                server: enrolment.server.clone(),
                received: receipt.received,
            }),
            _ => drained.refused.push(RefusedRecord {
                instance_id,
                code: line.code.unwrap_or_default(),
                message: line.message.unwrap_or_default(),
            }),
        }
    }
    Ok(receipts)
}

/// Runs two futures at once (the page has one thread: they take turns while either waits),
/// giving both outputs.
async fn both<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    use std::task::Poll;
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut done_a, mut done_b) = (None, None);
    std::future::poll_fn(move |cx| {
        if done_a.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            done_a = Some(v);
        }
        if done_b.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            done_b = Some(v);
        }
        match (done_a.take(), done_b.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                (done_a, done_b) = (x, y);
                Poll::Pending
            }
        }
    })
    .await
}

/// What a fetch of the project's forms did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormsFetched {
    /// Versions new to this tablet, now stored: (form id, version).
    pub added: Vec<(String, String)>,
    /// Versions whose files (lists, pictures) the server does not hold yet, or that came
    /// damaged or unreadable: left for the next fetch.
    pub need_files: Vec<(String, String)>,
    pub stopped: Option<Stopped>,
}

#[derive(Deserialize)]
struct PublishedVersion {
    form_id: String,
    version: String,
}

#[derive(Deserialize)]
struct Published {
    instruments: Vec<PublishedVersion>,
}

/// Why an answer is not the one asked for.
fn stopped_by(answer: &Answer) -> Stopped {
    if answer.status == 401 || answer.status == 403 {
        Stopped::Revoked
    } else {
        let code = serde_json::from_str::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_string))
            .unwrap_or_default();
        Stopped::Refused {
            status: answer.status,
            code,
        }
    }
}

/// One GET: its body when the answer is 200, else why the fetch stops.
async fn get_ok<G>(get: G) -> Result<String, Stopped>
where
    G: std::future::Future<Output = Result<Answer, String>>,
{
    match get.await {
        Ok(answer) if answer.status == 200 => Ok(answer.body),
        Ok(answer) => Err(stopped_by(&answer)),
        Err(why) => Err(Stopped::Unreachable(why)),
    }
}

/// What fetching a version's files takes besides JSON requests: a file's bytes (the
/// browser's fetch in the app), and the lists read out of the attached list files (the
/// import module in the app, which holds the CSV, XML and GeoJSON readers).
#[allow(async_fn_in_trait)]
pub trait FormFiles {
    /// One GET: the status and the body's bytes, or why no answer came.
    async fn bytes(&self, url: String) -> Result<(u16, Vec<u8>), String>;
    /// The lists of `instrument`'s attached list files, given by name.
    async fn lists(
        &self,
        instrument: &dala_core::Instrument,
        files: &[(String, Vec<u8>)],
    ) -> Result<dala_core::Lists, String>;
}

/// How a version's files arrived.
enum Files {
    /// Every one, as its version describes it: (name, bytes).
    Whole(Vec<(String, Vec<u8>)>),
    /// Not all here yet, or one not as described: the version waits.
    NotYet,
}

/// Fetches the files `instrument` attaches (whose version is at `version_url`), each checked
/// against its description.
async fn fetch_files<G>(
    instrument: &dala_core::Instrument,
    version_url: &str,
    token: &str,
    get: &mut impl FnMut(String, String) -> G,
    source: &impl FormFiles,
) -> Result<Files, Stopped>
where
    G: std::future::Future<Output = Result<Answer, String>>,
{
    if instrument.attachments.is_empty() {
        return Ok(Files::Whole(Vec::new()));
    }
    let held = held_files(get(format!("{version_url}/files"), token.to_string())).await?;
    if !instrument
        .attachments
        .iter()
        .all(|a| held.contains(&a.name))
    {
        return Ok(Files::NotYet);
    }
    let mut files = Vec::new();
    for described in &instrument.attachments {
        let url = format!("{version_url}/files/{}", path_segment(&described.name));
        let bytes = match source.bytes(url).await {
            Ok((200, bytes)) => bytes,
            Ok((404, _)) => return Ok(Files::NotYet),
            Ok((status, body)) => {
                return Err(stopped_by(&Answer {
                    status,
                    body: String::from_utf8_lossy(&body).into_owned(),
                }));
            }
            Err(why) => return Err(Stopped::Unreachable(why)),
        };
        let got = dala_core::Attachment::of(&described.name, &described.media_type, &bytes);
        if got != *described {
            return Ok(Files::NotYet);
        }
        files.push((described.name.clone(), bytes));
    }
    Ok(Files::Whole(files))
}

/// The names of a version's files the server holds, from its listing (`.../files`).
async fn held_files<G>(get: G) -> Result<Vec<String>, Stopped>
where
    G: std::future::Future<Output = Result<Answer, String>>,
{
    #[derive(Deserialize)]
    struct Listed {
        name: String,
        held: bool,
    }
    let listed = get_ok(get).await?;
    let files: Vec<Listed> = serde_json::from_str(&listed).map_err(|_| Stopped::Refused {
        status: 200,
        code: String::new(),
    })?;
    Ok(files
        .into_iter()
        .filter(|f| f.held)
        .map(|f| f.name)
        .collect())
}

/// Whether a stored version has the lists and files it attaches: a fetch cut short between
/// storing the instrument and its files is taken up again by the next one.
pub async fn has_its_files<S: Store>(
    store: &S,
    instrument: &dala_core::Instrument,
) -> Result<bool, StoreError> {
    let settings = &instrument.settings;
    let lists = store
        .get_lists(&settings.form_id, &settings.version)
        .await?;
    for file in &instrument.attachments {
        let kept = (!dala_core::is_list_file(&file.name) || lists.contains_key(&file.name))
            && store.get_form_file(file).await?.is_some();
        if !kept {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Fetches the instrument versions the project publishes that this tablet has not got, and
/// stores them: a new version is what the next interview of its form uses, while drafts
/// keep theirs. A version that attaches files is stored with them (its lists read, its
/// pictures and sounds kept), and only once they are all there. `get(url, token)` makes one
/// request.
pub async fn fetch_forms<S, G>(
    store: &S,
    enrolment: &Enrolment,
    mut get: impl FnMut(String, String) -> G,
    files: &impl FormFiles,
) -> Result<FormsFetched, StoreError>
where
    S: Store,
    G: std::future::Future<Output = Result<Answer, String>>,
{
    let mut fetched = FormsFetched::default();
    let base = format!(
        "{}/api/v1/projects/{}/instruments",
        enrolment.server, enrolment.project
    );
    let listed = match get_ok(get(base.clone(), enrolment.token.clone())).await {
        Ok(body) => serde_json::from_str::<Published>(&body).ok(),
        Err(stopped) => {
            fetched.stopped = Some(stopped);
            return Ok(fetched);
        }
    };
    let Some(published) = listed else {
        fetched.stopped = Some(Stopped::Refused {
            status: 200,
            code: String::new(),
        });
        return Ok(fetched);
    };
    for version in published.instruments {
        if let Some(stored) = store
            .get_instrument(&version.form_id, &version.version)
            .await?
            && has_its_files(store, &stored).await?
        {
            continue;
        }
        let url = format!(
            "{base}/{}/{}",
            path_segment(&version.form_id),
            path_segment(&version.version)
        );
        let key = (version.form_id, version.version);
        match fetch_version(store, &url, &enrolment.token, &mut get, files).await? {
            Fetched::Stored(_) => fetched.added.push(key),
            Fetched::NotYet => fetched.need_files.push(key),
            Fetched::Stopped(stopped) => {
                fetched.stopped = Some(stopped);
                return Ok(fetched);
            }
        }
    }
    Ok(fetched)
}

/// What became of one version fetched.
#[derive(Debug)]
pub enum Fetched {
    /// Stored, with its lists and files.
    Stored(Box<dala_core::Instrument>),
    /// Its files are not all on the server yet, one came not as described, or the
    /// document or a list could not be read: left for the next fetch.
    NotYet,
    Stopped(Stopped),
}

/// Fetches the version at `url` (`.../instruments/{form}/{version}`) with the files it
/// attaches and stores it: the instrument, the lists read out of its list files, and the
/// bytes of every file (by digest; a list's too, so the version can be published again).
pub async fn fetch_version<S, G>(
    store: &S,
    url: &str,
    token: &str,
    get: &mut impl FnMut(String, String) -> G,
    files: &impl FormFiles,
) -> Result<Fetched, StoreError>
where
    S: Store,
    G: std::future::Future<Output = Result<Answer, String>>,
{
    let body = match get_ok(get(url.to_string(), token.to_string())).await {
        Ok(body) => body,
        Err(stopped) => return Ok(Fetched::Stopped(stopped)),
    };
    let Ok(instrument) = dala_core::Instrument::from_json(&body) else {
        return Ok(Fetched::NotYet);
    };
    let attached = match fetch_files(&instrument, url, token, get, files).await {
        Ok(Files::Whole(attached)) => attached,
        Ok(Files::NotYet) => return Ok(Fetched::NotYet),
        Err(stopped) => return Ok(Fetched::Stopped(stopped)),
    };
    let Ok(lists) = files.lists(&instrument, &attached).await else {
        return Ok(Fetched::NotYet);
    };
    // The instrument first (the store keeps lists and files only beside a stored one); a
    // fetch cut short before its files are stored is taken up again (`has_its_files`).
    let settings = &instrument.settings;
    let kept = crate::catalog::attached_files(&instrument, attached);
    store.put_instrument(&instrument).await?;
    if !lists.is_empty() {
        store
            .put_lists(&settings.form_id, &settings.version, &lists)
            .await?;
    }
    if !kept.is_empty() {
        store
            .put_form_files(&settings.form_id, &settings.version, &kept)
            .await?;
    }
    Ok(Fetched::Stored(Box::new(instrument)))
}

/// The bytes of every file `instrument` attaches, as this device keeps them; `Err(name)` of
/// the first it does not keep (a form imported without its files).
pub async fn kept_files<S: Store>(
    store: &S,
    instrument: &dala_core::Instrument,
) -> Result<Result<Vec<(dala_core::Attachment, Vec<u8>)>, String>, StoreError> {
    let mut files = Vec::new();
    for file in &instrument.attachments {
        match store.get_form_file(file).await? {
            Some(bytes) => files.push((file.clone(), bytes)),
            None => return Ok(Err(file.name.clone())),
        }
    }
    Ok(Ok(files))
}

/// Sends the files of the published version at `version_url` that the server does not hold
/// yet, each with `put(url, bytes)`: how many were sent and how many it held already.
pub async fn send_files<G, P>(
    version_url: &str,
    files: &[(dala_core::Attachment, Vec<u8>)],
    mut get: impl FnMut(String) -> G,
    mut put: impl FnMut(String, Vec<u8>) -> P,
) -> Result<(usize, usize), Stopped>
where
    G: std::future::Future<Output = Result<Answer, String>>,
    P: std::future::Future<Output = Result<Answer, String>>,
{
    if files.is_empty() {
        return Ok((0, 0));
    }
    let held = held_files(get(format!("{version_url}/files"))).await?;
    let mut sent = 0;
    for (file, bytes) in files {
        if held.contains(&file.name) {
            continue;
        }
        let url = format!("{version_url}/files/{}", path_segment(&file.name));
        match put(url, bytes.clone()).await {
            Ok(answer) if (200..300).contains(&answer.status) => sent += 1,
            Ok(answer) => return Err(stopped_by(&answer)),
            Err(why) => return Err(Stopped::Unreachable(why)),
        }
    }
    Ok((sent, files.len() - sent))
}

/// A form id or version as one segment of a URL's path.
pub fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The wait before the next try after `failures` failed drains in a row: 30 s, doubled each
/// time, at most 5 minutes.
pub fn backoff_ms(failures: u32) -> u32 {
    30_000u32.saturating_mul(1 << failures.min(4)).min(300_000)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::workflows::block_on;
    use dala_core::record::{Answer as Value, RECORD_FORMAT, Status, Submission};
    use dala_core::store::MemoryStore;
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    /// A police record of Osh's district, finalized at `finalized` (or a draft updated then).
    pub(crate) fn record(id: &str, status: Status, finalized: &str) -> Submission {
        Submission {
            format: RECORD_FORMAT,
            held: Vec::new(),
            files: Vec::new(),
            instance_name: None,
            instance_id: id.into(),
            instrument_id: "police".into(),
            instrument_version: "1".into(),
            status,
            started: "2015-03-17T09:00:00.000+06:00".into(),
            updated: finalized.into(),
            finalized: (status == Status::Finalized).then(|| finalized.to_string()),
            enumerator: "Aida".into(),
            device_id: "tab-1".into(),
            answers: BTreeMap::from([("district".into(), Value::Value("osh".into()))]),
        }
    }

    fn enrolment() -> Enrolment {
        Enrolment {
            server: "http://127.0.0.1:8080".into(),
            project: 3,
            token: "tok".into(),
        }
    }

    /// A server in memory: the records it holds, and how each request is answered.
    struct FakeServer {
        held: RefCell<BTreeSet<String>>,
        requests: RefCell<usize>,
        refuse: &'static str,
        down: bool,
        revoked: bool,
        /// Unreachable from this request on (counting from 1).
        down_from: usize,
        /// Unreachable for this request alone.
        down_at: usize,
    }

    impl FakeServer {
        fn new() -> FakeServer {
            FakeServer {
                held: RefCell::default(),
                requests: RefCell::default(),
                refuse: "",
                down: false,
                revoked: false,
                down_from: usize::MAX,
                down_at: 0,
            }
        }

        fn answer(&self, url: &str, token: &str, body: &[u8]) -> Result<Answer, String> {
            *self.requests.borrow_mut() += 1;
            assert_eq!(url, "http://127.0.0.1:8080/api/v1/projects/3/submissions");
            assert_eq!(token, "tok");
            let n = *self.requests.borrow();
            if self.down || n >= self.down_from || n == self.down_at {
                return Err("no network".into());
            }
            if self.revoked {
                return Ok(Answer {
                    status: 401,
                    body: r#"{"code":"S001","message":"sign in first"}"#.into(),
                });
            }
            let text = String::from_utf8_lossy(body);
            let mut lines = Vec::new();
            for (i, line) in text.lines().enumerate().skip(1) {
                let record: Submission = serde_json::from_str(line).expect("a record line");
                let id = record.instance_id.clone();
                lines.push(if id == self.refuse {
                    serde_json::json!({"line": i + 1, "instance_id": id, "outcome": "refused",
                                       "code": "S010", "message": "other content"})
                } else {
                    let outcome = if self.held.borrow_mut().insert(id.clone()) {
                        "added"
                    } else {
                        "duplicate"
                    };
                    serde_json::json!({"line": i + 1, "instance_id": id, "outcome": outcome,
                        "receipt": {"instance_id": id, "server": "s1",
                                    "received": "2015-03-18T10:00:00Z", "seq": i}})
                });
            }
            Ok(Answer {
                status: 200,
                body: serde_json::json!({"records": lines}).to_string(),
            })
        }
    }

    fn run(store: &MemoryStore, server: &FakeServer) -> Drained {
        block_on(drain(
            store,
            &enrolment(),
            "tab-1",
            "2015-03-18T11:00:00.000+06:00",
            |url, token, body| {
                let answer = server.answer(&url, &token, &body);
                async move { answer }
            },
        ))
        .expect("the store")
    }

    fn store_with(records: usize) -> MemoryStore {
        let store = MemoryStore::default();
        block_on(async {
            for i in 0..records {
                let r = record(
                    &format!("uuid:{i:03}"),
                    Status::Finalized,
                    &format!("2015-03-17T10:{:02}:00.000+06:00", i % 60),
                );
                store.put_submission(&r).await.expect("put");
            }
            store
                .put_submission(&record(
                    "uuid:draft",
                    Status::Draft,
                    "2015-03-17T10:00:00.000+06:00",
                ))
                .await
                .expect("put");
        });
        store
    }

    #[test]
    fn an_enrolment_link_is_read_from_its_fragment() {
        assert_eq!(
            Enrolment::from_fragment("http://10.0.0.5:8080/", "#project=3&token=tok"),
            Some(enrolment_at("http://10.0.0.5:8080"))
        );
        for bad in [
            "#project=0&token=tok",
            "#project=3",
            "#token=tok",
            "#project=x&token=t",
            "#project=3&token=a b",
            "",
        ] {
            assert_eq!(Enrolment::from_fragment("http://h", bad), None, "{bad}");
        }
    }

    fn enrolment_at(server: &str) -> Enrolment {
        Enrolment {
            server: server.into(),
            ..enrolment()
        }
    }

    #[test]
    fn the_outbox_drains_in_slices_and_each_record_is_sent_once_with_its_receipt() {
        let store = store_with(120);
        let server = FakeServer::new();
        let drained = run(&store, &server);
        assert_eq!((drained.sent, drained.stopped), (120, None));
        assert_eq!(*server.requests.borrow(), 3, "slices of {SLICE}");
        assert_eq!(server.held.borrow().len(), 120);
        assert!(block_on(store.outbox(10)).expect("outbox").is_empty());
        let kept = block_on(store.get_record("uuid:007"))
            .expect("get")
            .expect("kept");
        assert_eq!(
            kept.receipt.map(|r| (r.server, r.received)),
            Some((
                "http://127.0.0.1:8080".to_string(),
                "2015-03-18T10:00:00Z".to_string()
            ))
        );
        // The draft is not sent; nothing is left to send.
        assert_eq!(run(&store, &server).sent, 0);
        assert_eq!(*server.requests.borrow(), 3);
    }

    #[test]
    fn a_drain_cut_short_keeps_the_receipts_of_every_slice_the_server_answered() {
        // 500 records, 10 slices; the network goes at the 7th request. Receipts are stored
        // 200 at a time: the first 200 mid-drain, the next 100 when the drain stops.
        let store = store_with(500);
        let mut server = FakeServer::new();
        server.down_from = 7;
        let drained = run(&store, &server);
        assert_eq!(drained.sent, 300);
        assert!(matches!(drained.stopped, Some(Stopped::Unreachable(_))));
        assert_eq!(block_on(store.outbox(1_000)).expect("outbox").len(), 200);
        let with_receipt = (0..500)
            .filter(|i| {
                block_on(store.get_record(&format!("uuid:{i:03}")))
                    .expect("get")
                    .and_then(|r| r.receipt)
                    .is_some()
            })
            .count();
        assert_eq!(with_receipt, 300, "every record the server answered for");
    }

    #[test]
    fn two_requests_are_on_their_way_at_once_never_more() {
        use std::task::Poll;
        let store = store_with(500);
        let server = FakeServer::new();
        let (open, most) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        let drained = block_on(drain(
            &store,
            &enrolment(),
            "tab-1",
            "2015-03-18T11:00:00.000+06:00",
            |url, token, body| {
                let answer = server.answer(&url, &token, &body);
                let (open, most) = (&open, &most);
                open.set(open.get() + 1);
                most.set(most.get().max(open.get()));
                // The network's wait: pending when first polled, answered when polled again.
                let mut answer = Some(answer);
                let mut polled = false;
                std::future::poll_fn(move |cx| {
                    if polled {
                        open.set(open.get() - 1);
                        Poll::Ready(answer.take().expect("answered once"))
                    } else {
                        polled = true;
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                })
            },
        ))
        .expect("the store");
        assert_eq!(drained.sent, 500);
        assert_eq!(most.get(), IN_FLIGHT);
        assert_eq!(IN_FLIGHT, 2);
    }

    #[test]
    fn a_failed_request_stops_the_drain_and_the_one_after_it_still_counts() {
        // The 3rd of 4 requests fails; the 4th was on its way and is answered.
        let store = store_with(200);
        let mut server = FakeServer::new();
        server.down_at = 3;
        let drained = run(&store, &server);
        assert_eq!(*server.requests.borrow(), 4);
        assert_eq!(drained.sent, 150);
        assert!(matches!(drained.stopped, Some(Stopped::Unreachable(_))));
        let left = block_on(store.outbox(1_000)).expect("outbox");
        assert_eq!(left.len(), 50);
        assert_eq!(
            left[0].instance_id,
            block_on(store.waiting()).expect("list")[0].instance_id
        );
        // The next drain sends the slice that failed.
        server.down_at = 0;
        assert_eq!(run(&store, &server).sent, 50);
    }

    #[test]
    fn unreachable_and_revoked_stop_the_drain_and_keep_every_record() {
        let store = store_with(3);
        let mut server = FakeServer::new();
        server.down = true;
        let drained = run(&store, &server);
        assert_eq!(drained.sent, 0);
        assert_eq!(
            drained.stopped,
            Some(Stopped::Unreachable("no network".into()))
        );
        assert_eq!(block_on(store.outbox(10)).expect("outbox").len(), 3);
        server.down = false;
        server.revoked = true;
        assert_eq!(run(&store, &server).stopped, Some(Stopped::Revoked));
        assert_eq!(block_on(store.outbox(10)).expect("outbox").len(), 3);
        // Sent once the server answers again; a record it held already gets its receipt too.
        server.revoked = false;
        server.held.borrow_mut().insert("uuid:001".into());
        assert_eq!(run(&store, &server).sent, 3);
        assert_eq!(server.held.borrow().len(), 3);
    }

    #[test]
    fn a_refused_record_stays_and_is_not_sent_again_in_the_same_drain() {
        let store = store_with(3);
        let mut server = FakeServer::new();
        server.refuse = "uuid:001";
        let drained = run(&store, &server);
        assert_eq!(drained.sent, 2);
        assert_eq!(
            drained.refused,
            [RefusedRecord {
                instance_id: "uuid:001".into(),
                code: "S010".into(),
                message: "other content".into()
            }]
        );
        assert_eq!(*server.requests.borrow(), 1);
        let left: Vec<String> = block_on(store.outbox(10))
            .expect("outbox")
            .into_iter()
            .map(|r| r.instance_id)
            .collect();
        assert_eq!(left, ["uuid:001"]);
    }

    /// No form files anywhere: every file is "not there yet".
    pub(crate) struct NoFiles;

    impl FormFiles for NoFiles {
        async fn bytes(&self, _: String) -> Result<(u16, Vec<u8>), String> {
            Ok((404, Vec::new()))
        }

        async fn lists(
            &self,
            _: &dala_core::Instrument,
            _: &[(String, Vec<u8>)],
        ) -> Result<dala_core::Lists, String> {
            Ok(dala_core::Lists::new())
        }
    }

    const DISTRICTS_CSV: &[u8] = b"name,label\nosh,Osh\nbishkek,Bishkek\n";
    const BADGE_PNG: &[u8] = b"\x89PNG\r\n\x1a\n a police badge";

    /// The server's form files: the badge held only once `badge_held` is set, and sent as
    /// `badge` says (damaged to test the check). Lists are read as `name,label` rows by hand.
    struct ServerFiles {
        badge_held: std::cell::Cell<bool>,
        badge: RefCell<Vec<u8>>,
        asked: RefCell<Vec<String>>,
    }

    impl FormFiles for ServerFiles {
        async fn bytes(&self, url: String) -> Result<(u16, Vec<u8>), String> {
            self.asked.borrow_mut().push(url.clone());
            Ok(if url.ends_with("/districts.csv") {
                (200, DISTRICTS_CSV.to_vec())
            } else if url.ends_with("/badge.png") && self.badge_held.get() {
                (200, self.badge.borrow().clone())
            } else {
                (404, Vec::new())
            })
        }

        async fn lists(
            &self,
            _: &dala_core::Instrument,
            files: &[(String, Vec<u8>)],
        ) -> Result<dala_core::Lists, String> {
            Ok(files
                .iter()
                .filter(|(name, _)| name.ends_with(".csv"))
                .map(|(name, bytes)| {
                    let rows = String::from_utf8_lossy(bytes)
                        .lines()
                        .skip(1)
                        .filter_map(|line| line.split_once(','))
                        .map(|(value, label)| dala_core::instrument::Choice {
                            name: value.to_string(),
                            label: dala_core::instrument::Text::one("default", label),
                            extra: BTreeMap::new(),
                        })
                        .collect();
                    (name.clone(), rows)
                })
                .collect())
        }
    }

    #[test]
    fn the_projects_new_versions_are_fetched_and_stored_once_with_their_files() {
        let store = MemoryStore::default();
        let attachments = serde_json::json!([
            dala_core::Attachment::of("districts.csv", "text/csv", DISTRICTS_CSV),
            dala_core::Attachment::of("badge.png", "image/png", BADGE_PNG),
        ]);
        let police = |version: &str, attached: bool| {
            let mut document: serde_json::Value = serde_json::from_str(include_str!(
                "../../../surveys/police-gender-representation/instrument.json"
            ))
            .expect("JSON");
            document["settings"]["version"] = version.into();
            if attached {
                document["attachments"] = attachments.clone();
            }
            document.to_string()
        };
        let files = ServerFiles {
            badge_held: std::cell::Cell::new(false),
            badge: RefCell::new(BADGE_PNG.to_vec()),
            asked: RefCell::default(),
        };
        let requests = RefCell::new(Vec::new());
        let base = "http://127.0.0.1:8080/api/v1/projects/3/instruments";
        let get = |url: String, token: String| {
            assert_eq!(token, "tok");
            requests.borrow_mut().push(url.clone());
            let answer = if url == base {
                Answer {
                    status: 200,
                    body: serde_json::json!({"instruments": [
                        {"form_id": "police_gender_representation", "version": "1", "published": "t"},
                        {"form_id": "police_gender_representation", "version": "2 b", "published": "t"},
                        {"form_id": "police_gender_representation", "version": "3", "published": "t"}
                    ]})
                    .to_string(),
                }
            } else if url.ends_with("/3/files") {
                Answer {
                    status: 200,
                    body: serde_json::json!([
                        {"name": "districts.csv", "held": true},
                        {"name": "badge.png", "held": files.badge_held.get()},
                    ])
                    .to_string(),
                }
            } else {
                let version = url
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .replace("%20", " ");
                Answer {
                    status: 200,
                    body: police(&version, version == "3"),
                }
            };
            async move { Ok(answer) }
        };
        let fetched = block_on(fetch_forms(&store, &enrolment(), get, &files)).expect("the store");
        let form = "police_gender_representation".to_string();
        assert_eq!(
            fetched.added,
            [
                (form.clone(), "1".to_string()),
                (form.clone(), "2 b".to_string())
            ]
        );
        assert_eq!(fetched.need_files, [(form.clone(), "3".to_string())]);
        assert!(requests.borrow().iter().any(|u| u.ends_with("/2%20b")));
        assert!(
            files.asked.borrow().is_empty(),
            "a version whose files are not all held is not fetched file by file"
        );
        let three = || block_on(store.get_instrument(&form, "3")).expect("the store");
        assert_eq!(three(), None);

        // Held, but the badge arrives damaged: still left.
        files.badge_held.set(true);
        files.badge.borrow_mut().push(b'!');
        let damaged = block_on(fetch_forms(&store, &enrolment(), get, &files)).expect("store");
        assert_eq!(damaged.need_files, [(form.clone(), "3".to_string())]);
        assert_eq!(three(), None);

        // Whole: stored with its list read and its picture kept.
        *files.badge.borrow_mut() = BADGE_PNG.to_vec();
        let whole = block_on(fetch_forms(&store, &enrolment(), get, &files)).expect("store");
        assert_eq!(whole.added, [(form.clone(), "3".to_string())]);
        assert!(whole.need_files.is_empty());
        let stored = three().expect("version 3");
        let lists = block_on(store.get_lists(&form, "3")).expect("lists");
        let districts: Vec<&str> = lists["districts.csv"]
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(districts, ["osh", "bishkek"]);
        let badge = block_on(store.get_form_file(&stored.attachments[1])).expect("file");
        assert_eq!(badge.as_deref(), Some(BADGE_PNG));

        // Fetched again: only the list of versions.
        requests.borrow_mut().clear();
        files.asked.borrow_mut().clear();
        let again = block_on(fetch_forms(&store, &enrolment(), get, &files)).expect("the store");
        assert!(again.added.is_empty() && again.need_files.is_empty());
        assert_eq!(requests.borrow().len(), 1, "{:?}", requests.borrow());
        assert!(files.asked.borrow().is_empty());

        // A version stored without its files (a fetch cut short) is fetched whole again.
        block_on(store.put_instrument(&stored)).expect("stored again, lists forgotten");
        let taken_up = block_on(fetch_forms(&store, &enrolment(), get, &files)).expect("store");
        assert_eq!(taken_up.added, [(form.clone(), "3".to_string())]);
        assert!(
            block_on(store.get_lists(&form, "3"))
                .expect("lists")
                .contains_key("districts.csv")
        );

        // A revoked tablet is told so.
        let revoked = |_: String, _: String| async {
            Ok(Answer {
                status: 401,
                body: r#"{"code":"S001"}"#.into(),
            })
        };
        assert_eq!(
            block_on(fetch_forms(&store, &enrolment(), revoked, &NoFiles))
                .expect("the store")
                .stopped,
            Some(Stopped::Revoked)
        );
    }

    #[test]
    fn a_versions_files_go_to_the_server_once_and_a_missing_one_is_named() {
        let store = MemoryStore::default();
        let mut police = dala_core::Instrument::from_json(include_str!(
            "../../../surveys/police-gender-representation/instrument.json"
        ))
        .expect("police");
        police.attachments = vec![
            dala_core::Attachment::of("districts.csv", "text/csv", DISTRICTS_CSV),
            dala_core::Attachment::of("badge.png", "image/png", BADGE_PNG),
        ];
        block_on(store.put_instrument(&police)).expect("stored");
        let settings = police.settings.clone();
        let only_list = [(police.attachments[0].clone(), DISTRICTS_CSV.to_vec())];
        block_on(store.put_form_files(&settings.form_id, &settings.version, &only_list))
            .expect("the list");
        assert_eq!(
            block_on(kept_files(&store, &police)).expect("store"),
            Err("badge.png".to_string())
        );
        let both = [
            only_list[0].clone(),
            (police.attachments[1].clone(), BADGE_PNG.to_vec()),
        ];
        block_on(store.put_form_files(&settings.form_id, &settings.version, &both)).expect("both");
        let files = block_on(kept_files(&store, &police))
            .expect("store")
            .expect("both kept");
        assert_eq!(files, both);

        // The server holds the list already: only the badge is sent.
        let put_urls = RefCell::new(Vec::new());
        let get = |url: String| {
            assert!(url.ends_with("/v1/files"), "{url}");
            async {
                Ok(Answer {
                    status: 200,
                    body: r#"[{"name":"districts.csv","held":true},{"name":"badge.png","held":false}]"#
                        .into(),
                })
            }
        };
        let put = |url: String, bytes: Vec<u8>| {
            put_urls.borrow_mut().push((url, bytes));
            async {
                Ok(Answer {
                    status: 201,
                    body: String::new(),
                })
            }
        };
        assert_eq!(block_on(send_files("/s/v1", &files, get, put)), Ok((1, 1)));
        assert_eq!(
            *put_urls.borrow(),
            [("/s/v1/files/badge.png".to_string(), BADGE_PNG.to_vec())]
        );
        // A refusal stops the sending with the server's code.
        let refuse = |_: String, _: Vec<u8>| async {
            Ok(Answer {
                status: 422,
                body: r#"{"code":"S026"}"#.into(),
            })
        };
        assert_eq!(
            block_on(send_files("/s/v1", &files, get, refuse)),
            Err(Stopped::Refused {
                status: 422,
                code: "S026".into()
            })
        );
    }

    #[test]
    fn the_wait_between_tries_doubles_up_to_five_minutes() {
        let waits: Vec<u32> = (0..7).map(backoff_ms).collect();
        assert_eq!(
            waits,
            [30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000]
        );
    }
}
