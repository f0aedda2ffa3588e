//! The project's devices: enrol one (its link as a QR code for the tablet's camera, shown
//! once), revoke one, and see when each last called and what it sent.

use super::*;
use crate::account::{Device, Devices as Listed, Enrolled};
use crate::views::ask_first::AskFirst;

#[component]
pub(super) fn Devices(project: i64) -> impl IntoView {
    let app = state();
    let account = account();
    let devices: Fetched<Vec<Device>> = RwSignal::new(None);
    let rev = RwSignal::new(0u32);
    Effect::new(move |_| {
        rev.track();
        fetch(account, url(project, "devices"), devices, |d: Listed| {
            d.devices
        });
    });
    let name = RwSignal::new(String::new());
    let enrolled = RwSignal::new(None::<Enrolled>);
    let said = RwSignal::new(None::<String>);
    let enrol = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({"name": name.get_untracked().trim()}).to_string();
        spawn_local(async move {
            match account
                .call::<Enrolled>("POST", &url(project, "devices"), Some(body))
                .await
            {
                Ok(device) => {
                    name.set(String::new());
                    said.set(None);
                    enrolled.set(Some(device));
                    rev.update(|r| *r += 1);
                }
                Err(problem) => said.set(Some(problem_text(&problem))),
            }
        });
    };
    let revoke = move |id: i64| {
        spawn_local(async move {
            let result = account
                .send("DELETE", &url(project, &format!("devices/{id}")), None)
                .await;
            said.set(Some(outcome(app, result, Words::DeviceRevoked)));
            rev.update(|r| *r += 1);
        });
    };
    view! {
        <section class="card manage-devices">
            <h3>{move || w(app, Words::Devices)}</h3>
            <form class="row enrol" on:submit=enrol>
                <label>{move || w(app, Words::DeviceName)}
                    <input type="text" class="device-name" required
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <button class="button primary" type="submit">{move || w(app, Words::Enrol)}</button>
            </form>
            {move || enrolled.get().map(|device| view! {
                <div class="enrolment" role="status">
                    <img class="qr" src=crate::browser::svg_url(&device.qr_svg)
                        alt=format!("{} {}", w(app, Words::QrFor), device.name)/>
                    <div>
                        <p><strong>{device.name.clone()}</strong></p>
                        <p>{move || w(app, Words::ShowQr)}</p>
                        <p class="enrol-link"><a href=device.link.clone()>{device.link.clone()}</a></p>
                        <button class="button" type="button" on:click=move |_| enrolled.set(None)>
                            {move || w(app, Words::Done)}
                        </button>
                    </div>
                </div>
            })}
            {move || said.get().map(|s| view! { <p class="said" role="status">{s}</p> })}
            {shown(devices, move |devices| view! {
                <div class="table-scroll">
                    <table class="records-table devices">
                        <thead><tr>
                            <th scope="col">{w(app, Words::DeviceName)}</th>
                            <th scope="col">{w(app, Words::Enrolled)}</th>
                            <th scope="col">{w(app, Words::LastContact)}</th>
                            <th scope="col">{w(app, Words::RecordsSent)}</th>
                            <th scope="col">{w(app, Words::LastRecord)}</th>
                            <th scope="col"><span class="visually-hidden">{w(app, Words::Revoke)}</span></th>
                        </tr></thead>
                        <tbody>
                            {devices.into_iter().map(|d| {
                                let id = d.id;
                                let key = d.name.clone();
                                view! {
                                    <tr data-device=key>
                                        <td>{d.name}</td>
                                        <td>{when(Some(&d.created))}</td>
                                        <td class="last-seen">{when(d.last_seen.as_deref())}</td>
                                        <td class="sent">{d.records}</td>
                                        <td>{when(d.last_record.as_deref())}</td>
                                        <td>{match d.revoked {
                                            Some(at) => view! {
                                                <span class="tag refused">{format!("{} {}", w(app, Words::Revoked), when(Some(&at)))}</span>
                                            }.into_any(),
                                            None => view! {
                                                <AskFirst label=w(app, Words::Revoke) question=w(app, Words::RevokeQuestion)
                                                    class="revoke" confirm_class="revoke-confirm"
                                                    on_confirm=move || revoke(id)/>
                                            }.into_any(),
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}
