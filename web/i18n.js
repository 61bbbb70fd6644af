// i18n.js - every string the dashboard shows, in Japanese and English, in one table (the
// steps of a flow are in steps.js, shared with report.html). t('key') gives the current
// language's text; setLang() switches and tells every listener.

import { PREFECTURES } from './prefectures.js';
import { STEPS } from './steps.js';

const STRINGS = {
  en: {
    title: 'renkei — My Number linkage network, live',
    lang_switch: '日本語',
    play: 'Play', pause: 'Pause', step: 'Step one event', step_title: 'Run exactly one event (heartbeats and mirroring included): for testers. Trainers: use Next hop in the flow view.',
    speed: 'Speed', fast: 'as fast as possible', realtime: 'real time (1×)',
    until: 'Run until', until_placeholder: '10:00 or +30m', go: 'Go',
    rewind: 'Go back to', rewind_placeholder: '09:00 or -30m', rewind_go: 'Rewind', rewind_title: 'Go back to an earlier moment of this run, paused there, and try something else from it: what was changed after it (faults, promotions) is dropped', rewound: 'Back at {to}: branch {branch} of this run (took {ms} ms). Faults and operator commands made after it were dropped.',
    state_running: 'running', state_paused: 'paused', state_ended: 'ended', state_idle: 'ready', state_none: '—',
    events: 'events', pending: 'pending', eps: 'events/s', ratio: 'sim/real',
    token_missing: 'Read-only: the access token is needed to control the run.',
    token_label: 'Access token', token_set: 'Use', token_bad: 'The token was refused.',
    map: 'Japan: local governments by prefecture', legend_up: 'up (shaded by load)', legend_down: 'down',
    legend_failed_over: 'failed over to backup site', legend_site_down: 'serving site down', legend_awaiting: 'home site back: resynchronising, awaiting failback',
    legend_load: 'load (messages per update)', map_find: 'Find', map_find_hint: 'a name or code: 千代田区',
    map_keys: 'Arrow keys: the next or previous body or system; Escape: none', lg_count: '{n} local governments',
    flow: 'The flow, hop by hop', flow_pick: 'Pick an inquiry for me', flow_none: 'No flow shown yet. Run the simulation a little and pick an inquiry.',
    flow_follow: 'Follow the next inquiry of {name}', flow_select: 'Recorded flows', flow_prev: '◀ Previous hop',
    flow_next: 'Next hop ▶', flow_next_title: 'Show the next hop; at the newest one, run until the flow moves one hop', flow_hop: 'Hop {i} of {n}',
    flow_showing_followed: 'Showing the inquiry of {name} you followed.', hop_none: 'No hop within a million events: the flow did not move. Press again, or Play.', flow_open: 'waiting for an answer',
    flow_overdue: 'no answer within the timeout', flow_following: 'Following the next inquiry of {name}…',
    seen: 'What this hop carried', why: 'What happens here',
    charts: 'Over simulated time', chart_inquiries: 'Inquiries per minute', chart_latency: 'Inquiry latency (ms; gaps: nothing answered)',
    chart_errors: 'Inquiries not answered with data, by kind (per minute, stacked)', chart_rates: 'Events per second and simulated/real ratio',
    started: 'started', answered_ok: 'answered ok', events_per_s: 'events/s', sim_per_wall: 'sim/real',
    checks: 'Expectations and invariants', invariant: 'invariant', expectation: 'expectation',
    held: 'holds', failed: 'FAILED', not_yet: 'checked at the end',
    log: 'Event log', log_node: 'node', log_kind: 'kind', log_msg: 'message id', log_flow: 'flow id',
    log_any: 'any', log_search: 'Search past events', log_live: 'Live', log_skipped: '{n} lines skipped (too fast to show)',
    log_clear: 'Clear', log_quiet: 'hide heartbeats and mirroring',
    log_window: 'Searches the last {n} trace lines; the operations timeline keeps the whole run.',
    timeline: 'Operations timeline (the whole run)', tl_search: 'Search the whole run', timeline_q: 'search, e.g. promoted', tl_any: 'all operations',
    tl_fault: 'faults', tl_detection: 'detection', tl_promotion: 'promotion', tl_failback: 'failback', tl_resync: 'resynchronisation',
    tl_audit: 'audits', tl_caption: 'captions', tl_other: 'other logs', tl_script: 'script', tl_operations: 'operations',
    tl_expectation: 'expectation', tl_count: '{m} of {total} operations{shown}', tl_shown: ' (the latest {n} shown)',
    caption: 'Narration', pause_at_captions: 'Pause where the script says', paused_by_script: 'Paused by the training script — press Play to go on.',
    dropped: 'Updates dropped for this browser (too slow): {n}. Refreshed.',
    ended: 'The run has ended ({reason}), exit status {status}. The page stays open for inspection.',
    end_until: 'it reached its end time', end_drained: 'nothing more was to happen', end_error: 'a script error',
    end_interrupted: 'interrupted', end_terminated: 'terminated', end_internal_failure: 'an internal failure', end_none: 'no reason',
    failed_at: '(failed at {at})',
    disconnected: 'Connection lost; retrying…',
    server_gone: 'The server has gone (renkei stopped): this page shows the run as it last was and can no longer change it. Start renkei again and reload.',
    server_gone_ended: 'The run ended and its server has closed: this page shows the run as it ended. Start renkei again and reload.',
    state_gone: 'server gone',
    kind_lg: 'local government', kind_agency: 'agency', kind_site: 'platform site', kind_ifs: 'interface system',
    kind_nws: 'information-provision network system (NWS)', kind_jlis: 'J-LIS', kind_mynaportal: 'Mynaportal (disclosure of access records)',
    home: 'home site', backup: 'backup site', server: 'served by', state: 'state',
    state0: 'up', state1: 'down', state2: 'failed over', state3: 'serving site down', state4: 'failed over, home site back: awaiting failback',
    lane_inquirer_system: 'Existing system (inquirer)', lane_inquirer_server: 'Intermediate server (inquirer)',
    lane_inquirer_ifs: 'Interface system (inquirer)', lane_nws: 'NWS', lane_jlis: 'J-LIS',
    lane_provider_ifs: 'Interface system (provider)', lane_provider_server: 'Intermediate server (provider)',
    lane_provider_system: 'Existing system (provider)', lane_other: 'other',
    field_addressee_no: 'integrated addressee number', field_agency_code: 'agency code (in the Act: 情報提供用個人識別符号)',
    field_serial_no: 'processing serial number', field_staff: 'staff member', field_acquisition_no: 'acquisition number',
    field_resident_code: 'resident-record code', field_person_key: 'person key (J-LIS, from the resident-record code)', field_error: 'error',
    field_ciphertext: 'ciphertext (first bytes)', field_ciphertext_bytes: 'ciphertext bytes', field_payload: 'payload (plaintext)',
    field_payload_bytes: 'payload bytes', field_new: '(new)', field_changed: '(changed)', field_dropped: 'no longer carried',
    payload_item: 'item (TM code)', payload_tax_year: 'tax year', payload_taxable_income: 'taxable income',
    payload_municipal_tax: 'municipal tax', payload_prefectural_tax: 'prefectural tax', payload_household_head: 'head of household',
    payload_household_size: 'household size', payload_moved_in: 'moved in', payload_since: 'since', payload_benefit_monthly: 'monthly benefit',
    payload_corrected: 'corrected', payload_withheld: 'withheld from disclosure (不開示)', yen: 'yen',
    citizen: 'What the family sees tonight (Mynaportal)',
    citizen_hint: 'The disclosure of access records (My Number Act Art. 23): who asked whom for the person\'s information, when and why. Rows marked 不開示 (withheld) are not shown to the person.',
    citizen_lg: 'local government', citizen_lg_hint: '271004 or 大阪市', citizen_addressee: 'addressee number', citizen_or: 'or',
    citizen_person: 'person number', citizen_show: 'Show', citizen_of_flow: 'The person in this inquiry',
    citizen_time: 'when', citizen_inquirer: 'who asked', citizen_provider: 'whom', citizen_procedure: 'why (procedure)',
    citizen_item: 'what', citizen_serial: 'serial number', citizen_outcome: 'outcome',
    citizen_rows: 'Person {person}{who}: {n} record(s) shown.', citizen_who: ' ({lg} addressee {a})',
    citizen_none: 'Person {person}{who}: nothing to show yet. Records appear once an inquiry about the person has been answered.',
    citizen_no_portal: 'This run has no Mynaportal (the script declares no mynaportal{}): there is no disclosure to show.',
    citizen_need: 'Give a local government and an addressee number, or a person number.',
    citizen_no_flow: 'Show an inquiry in the flow view first.',
    faults: 'Faults', fault_kind: 'kind', fault_target: 'target', fault_target_hint: 'click the map', fault_peer: 'other side',
    fault_duration: 'duration', fault_inject: 'Inject', fault_clear: 'Clear', fault_injected: 'Fault {id} injected.',
    fault_active: 'active', fault_ended: 'ended', fault_rto: 'RTO {d}', fault_tenants: '{n} tenants cut off',
    fault_rpo: 'RPO {n} writes lost ({d})', fault_failed_back: 'failed back at {at}',
    mark_failover: 'failover', mark_failback: 'failback', operator: 'Operator:', op_failback: 'fail back home',
    op_promote: 'promote at the backup site', op_site: 'site', op_do: 'Do it', op_promoted: 'The tenants of the {site} are promoted at their backup site.',
    op_failed_back: 'Failback of the tenants of the {site} started.', fault_options: 'options (as in Lua):', unit_per_min: '/min', fault_none: 'No fault injected.', chart_lag: 'Mirroring lag between the sites (ms)',
    lag: 'max lag', fault_band: 'fault', cipher_tag: '[encrypted]', site_label: '{name} site', region: 'region',
    flowkind_inquiry: 'inquiry', flowkind_code_request: 'code acquisition', flowkind_replica: 'replica registration',
    flowkind_provision: 'provision', flowkind_code_response: 'code answer', flowkind_replica_ack: 'replica acknowledgement',
    outcome_ok: 'answered', outcome_provided: 'provided', outcome_pending: 'waiting for an answer', outcome_no_code: 'no agency code yet', outcome_not_permitted: 'not permitted',
    outcome_unreachable: 'provider unreachable', outcome_timeout: 'timed out', outcome_integrity: 'integrity failure',
    outcome_not_found: 'nothing held for that person and item', outcome_duplicate: 'duplicate record id', outcome_no_staff: 'no staff member named',
    outcome_server_error: 'server could not store it', outcome_unknown_acquisition_no: 'acquisition number matched nothing',
    outcome_staff_not_permitted: 'staff member not authorised for the procedure', outcome_outside_operating_hours: 'outside operating hours',
    outcome_planned_maintenance: 'planned maintenance stop',
  },
  ja: {
    title: 'renkei — マイナンバー情報連携ネットワーク ライブ',
    lang_switch: 'English',
    play: '再生', pause: '一時停止', step: '1イベント実行', step_title: 'イベントを1つだけ実行します (ハートビートやミラーリングを含む。試験担当者向け)。研修ではフロー表示の「次のホップ」を使います。',
    speed: '速度', fast: '最高速', realtime: '実時間 (1倍)',
    until: '指定時刻まで実行', until_placeholder: '10:00 または +30m', go: '実行',
    rewind: '過去の時点へ戻る', rewind_placeholder: '09:00 または -30m', rewind_go: '巻き戻す', rewind_title: 'この実行の過去の時点へ戻って一時停止し、そこから別の操作を試します。その時点より後の変更 (障害の注入、昇格など) は取り消されます', rewound: '{to} に戻りました: この実行の分岐 {branch} ({ms} ms)。その後に行った障害の注入と運用操作は取り消されました。',
    state_running: '実行中', state_paused: '一時停止中', state_ended: '終了', state_idle: '準備完了', state_none: '—',
    events: 'イベント', pending: '待機中', eps: 'イベント/秒', ratio: '時間倍率',
    token_missing: '閲覧のみ: 操作にはアクセストークンが必要です。',
    token_label: 'アクセストークン', token_set: '使う', token_bad: 'トークンが拒否されました。',
    map: '日本: 都道府県別の地方公共団体', legend_up: '稼働 (濃さは負荷)', legend_down: '停止',
    legend_failed_over: 'バックアップサイトへ切替済み', legend_site_down: '提供サイト停止', legend_awaiting: 'ホームサイト復旧: 再同期・切り戻し待ち',
    legend_load: '負荷 (更新あたりのメッセージ数)', map_find: '検索', map_find_hint: '名前またはコード: 千代田区',
    map_keys: '矢印キー: 次・前の団体やシステム、Esc: 選択解除', lg_count: '地方公共団体 {n}',
    flow: '情報連携の流れ (ホップごと)', flow_pick: '情報照会を1件選ぶ', flow_none: 'まだ表示するフローがありません。少し実行してから情報照会を選んでください。',
    flow_follow: '{name} の次の情報照会を追跡', flow_select: '記録したフロー', flow_prev: '◀ 前のホップ',
    flow_next: '次のホップ ▶', flow_next_title: '次のホップを表示します。最新のホップでは、フローが1ホップ進むまで実行します', flow_hop: 'ホップ {i} / {n}',
    flow_showing_followed: '追跡した {name} の情報照会を表示しています。', hop_none: '100万イベント以内にフローが進みませんでした。もう一度押すか「再生」を押してください。', flow_open: '応答待ち',
    flow_overdue: 'タイムアウトまでに応答なし', flow_following: '{name} の次の情報照会を追跡中…',
    seen: 'このホップで運ばれたもの', why: 'ここで起きること',
    charts: 'シミュレーション時間の推移', chart_inquiries: '1分あたりの情報照会', chart_latency: '情報照会の応答時間 (ms、空白は応答なし)',
    chart_errors: 'データが得られなかった情報照会 (種別ごと、1分あたり、積み上げ)', chart_rates: '1秒あたりのイベント数と時間倍率',
    started: '開始', answered_ok: '正常応答', events_per_s: 'イベント/秒', sim_per_wall: '時間倍率',
    checks: '期待条件と不変条件', invariant: '不変条件', expectation: '期待条件',
    held: '成立', failed: '不成立', not_yet: '終了時に評価',
    log: 'イベントログ', log_node: 'ノード', log_kind: '種別', log_msg: 'メッセージID', log_flow: 'フローID',
    log_any: 'すべて', log_search: '過去のイベントを検索', log_live: 'ライブ', log_skipped: '{n} 行を省略 (表示が追いつかないため)',
    log_clear: 'クリア', log_quiet: 'ハートビートとミラーリングを隠す',
    log_window: '検索対象は直近 {n} 行のトレースです。運用タイムラインには実行全体が残ります。',
    timeline: '運用タイムライン (実行全体)', tl_search: '実行全体を検索', timeline_q: '検索 (例: promoted)', tl_any: 'すべての運用イベント',
    tl_fault: '障害', tl_detection: '検知', tl_promotion: '昇格 (切替)', tl_failback: '切り戻し', tl_resync: '再同期',
    tl_audit: '監査', tl_caption: 'ナレーション', tl_other: 'その他のログ', tl_script: 'スクリプト', tl_operations: '運用',
    tl_expectation: '期待条件', tl_count: '運用イベント {total} 件中 {m} 件{shown}', tl_shown: ' (新しい {n} 件を表示)',
    caption: 'ナレーション', pause_at_captions: 'スクリプトの指定箇所で一時停止', paused_by_script: '研修スクリプトにより一時停止しました。「再生」で続行します。',
    dropped: 'このブラウザへの更新を {n} 件破棄しました (受信が遅いため)。再取得しました。',
    ended: '実行は終了しました ({reason})。終了ステータス {status}。ページは確認用に開いたままです。',
    end_until: '終了時刻に達した', end_drained: 'これ以上起きることがない', end_error: 'スクリプトのエラー',
    end_interrupted: '中断', end_terminated: '強制終了', end_internal_failure: '内部障害', end_none: '理由なし',
    failed_at: '({at} に不成立)',
    disconnected: '接続が切れました。再接続中…',
    server_gone: 'サーバーが停止しました (renkei が終了)。このページは最後の状態を表示しているだけで、操作はできません。renkei を再び起動してページを再読み込みしてください。',
    server_gone_ended: '実行が終了し、サーバーも閉じました。このページは終了時の状態を表示しています。renkei を再び起動してページを再読み込みしてください。',
    state_gone: 'サーバー停止',
    kind_lg: '地方公共団体', kind_agency: '国の機関', kind_site: 'プラットフォームサイト', kind_ifs: 'インターフェイスシステム',
    kind_nws: '情報提供ネットワークシステム', kind_jlis: '地方公共団体情報システム機構 (J-LIS)', kind_mynaportal: 'マイナポータル (情報提供等記録開示システム)',
    home: '主サイト', backup: 'バックアップサイト', server: '提供元', state: '状態',
    state0: '稼働', state1: '停止', state2: '切替済み', state3: '提供サイト停止', state4: '切替済み・ホームサイト復旧 (切り戻し待ち)',
    lane_inquirer_system: '既存システム (照会者)', lane_inquirer_server: '中間サーバー (照会者)',
    lane_inquirer_ifs: 'インターフェイスシステム (照会者)', lane_nws: '情報提供NWS', lane_jlis: 'J-LIS',
    lane_provider_ifs: 'インターフェイスシステム (提供者)', lane_provider_server: '中間サーバー (提供者)',
    lane_provider_system: '既存システム (提供者)', lane_other: 'その他',
    field_addressee_no: '団体内統合宛名番号', field_agency_code: '機関別符号 (情報提供用個人識別符号)',
    field_serial_no: '処理通番', field_staff: '職員', field_acquisition_no: '取得番号',
    field_resident_code: '住民票コード', field_person_key: '住民票コード由来の個人キー (J-LIS)', field_error: 'エラー',
    field_ciphertext: '暗号文 (先頭)', field_ciphertext_bytes: '暗号文のバイト数', field_payload: 'データ (平文)',
    field_payload_bytes: 'データのバイト数', field_new: '(新規)', field_changed: '(変更)', field_dropped: 'ここで運ばれなくなったもの',
    payload_item: '特定個人情報 (TMコード)', payload_tax_year: '課税年度', payload_taxable_income: '課税所得',
    payload_municipal_tax: '市町村民税', payload_prefectural_tax: '道府県民税', payload_household_head: '世帯主',
    payload_household_size: '世帯人数', payload_moved_in: '転入日', payload_since: '開始日', payload_benefit_monthly: '月額給付',
    payload_corrected: '訂正', payload_withheld: '不開示', yen: '円',
    citizen: '今夜、世帯がマイナポータルで見るもの',
    citizen_hint: '情報提供等記録の開示 (番号法第23条): 誰が誰に、いつ、何のために本人の情報を照会したか。不開示とされた記録は本人に表示されません。',
    citizen_lg: '地方公共団体', citizen_lg_hint: '271004 または 大阪市', citizen_addressee: '宛名番号', citizen_or: 'または',
    citizen_person: '個人の通し番号', citizen_show: '表示', citizen_of_flow: 'この照会の本人',
    citizen_time: '日時', citizen_inquirer: '照会者', citizen_provider: '提供者', citizen_procedure: '事務手続',
    citizen_item: '特定個人情報', citizen_serial: '処理通番', citizen_outcome: '結果',
    citizen_rows: '本人 {person}{who}: 記録 {n} 件を表示。', citizen_who: ' ({lg} 宛名番号 {a})',
    citizen_none: '本人 {person}{who}: 表示する記録はまだありません。本人についての照会に応答があると記録が現れます。',
    citizen_no_portal: 'この実行にはマイナポータルがありません (スクリプトに mynaportal{} がない) ため、開示できるものはありません。',
    citizen_need: '地方公共団体と宛名番号、または個人の通し番号を入力してください。',
    citizen_no_flow: '先にフロー表示で情報照会を表示してください。',
    faults: '障害', fault_kind: '種類', fault_target: '対象', fault_target_hint: '地図をクリック', fault_peer: '相手側',
    fault_duration: '期間', fault_inject: '発生させる', fault_clear: '解除', fault_injected: '障害 {id} を発生させました。',
    fault_active: '継続中', fault_ended: '終了', fault_rto: 'RTO {d}', fault_tenants: '影響テナント {n}',
    fault_rpo: 'RPO 失われた書き込み {n} 件 ({d})', fault_failed_back: '{at} に切り戻し',
    mark_failover: '切替', mark_failback: '切り戻し', operator: '運用者:', op_failback: '主サイトへ切り戻す',
    op_promote: 'バックアップサイトで昇格', op_site: 'サイト', op_do: '実行', op_promoted: '{site}のテナントをバックアップサイトで昇格しました。',
    op_failed_back: '{site}のテナントの切り戻しを始めました。', fault_options: 'オプション (Lua と同じ名前):', unit_per_min: '件/分', fault_none: '障害はありません。', chart_lag: 'サイト間のミラーリング遅延 (ms)',
    lag: '最大遅延', fault_band: '障害', cipher_tag: '[暗号化]', site_label: '{name}サイト', region: '地方',
    flowkind_inquiry: '情報照会', flowkind_code_request: '符号取得', flowkind_replica: '副本登録',
    flowkind_provision: '情報提供', flowkind_code_response: '符号の応答', flowkind_replica_ack: '副本登録の応答',
    outcome_ok: '応答あり', outcome_provided: '提供済み', outcome_pending: '応答待ち', outcome_no_code: '符号が未取得', outcome_not_permitted: '照会が許可されていない',
    outcome_unreachable: '提供者に到達できない', outcome_timeout: 'タイムアウト', outcome_integrity: '完全性エラー',
    outcome_not_found: '該当なし', outcome_duplicate: 'レコードIDの重複', outcome_no_staff: '職員の指定なし',
    outcome_server_error: 'サーバーが記録できない', outcome_unknown_acquisition_no: '取得番号が一致しない',
    outcome_staff_not_permitted: '職員にその事務の権限がない', outcome_outside_operating_hours: '運用時間外',
    outcome_planned_maintenance: '計画停止中',
  },
};

// The invariants the twin checks (their names as nodes/domain/domain.c gives them) in Japanese.
const INVARIANTS_JA = {
  'no individual number on the network': 'ネットワーク上に個人番号が流れない',
  'every flow ends exactly once': 'すべてのフローがちょうど1回終わる (応答・エラー・タイムアウト)',
  'every inquiry names a staff member': 'すべての情報照会が職員を指定している',
  'serial numbers reconcile (inquirer within NWS within provider)': '処理通番が突合できる (照会者 ⊂ 情報提供NWS ⊂ 提供者)',
  'codes differ across bodies for the same person': '同じ人の機関別符号が団体ごとに異なる',
  'no tenant served by two sites at once': '一つのテナントを二つのサイトが同時に提供しない',
  'acknowledged writes survive a failover': '応答済みの書き込みが切替後も失われない',
  'no node but the NWS holds a resident-derived key and an agency code of one person': '情報提供NWS以外のどのノードも、同じ人の住民票コード由来の鍵と機関別符号を併せ持たない',
  "every provision appears in the person's disclosure unless marked 不開示": 'すべての情報提供が、不開示とされたものを除き本人の開示 (マイナポータル) に現れる',
};

// Every table of this file, for the test that no English is left on the Japanese page.
export const TABLES = { STRINGS, STEPS, INVARIANTS_JA };

export function invariantName(name) { return lang === 'ja' ? INVARIANTS_JA[name] || name : name; }

// The invariants' details (as the checkers write them: nodes/domain/checker.c,
// nodes/kinds/invariants.c, unlinkable.c, nodes/platform/ha.c, nodes/fault/recovery.c) in
// Japanese, by pattern; a detail no pattern knows is shown as it came.
const DETAILS_JA = [
  [/^(\d+) message\(s\) carried one$/, '個人番号を運んだメッセージ $1 件'],
  [/^(\d+) started, (\d+) ended, (\d+) waiting for an answer or their timeout, (\d+) late answers ignored$/,
    '開始 $1、終了 $2、応答またはタイムアウト待ち $3、遅れて届き無視した応答 $4'],
  [/^(\d+) inquiries named none$/, '職員を指定しない情報照会 $1 件'],
  [/^providers answered (\d+), the NWS passed (\d+), inquirers received (\d+)$/, '提供者の応答 $1、情報提供NWSの中継 $2、照会者の受領 $3'],
  [/^providers answered (\d+), the NWS passed (\d+), inquirers received (\d+): a serial number is missing from an earlier record$/,
    '提供者の応答 $1、情報提供NWSの中継 $2、照会者の受領 $3: 前段の記録にない処理通番がある'],
  [/^(-?\d+) person\(s\) share a code between bodies$/, '団体間で機関別符号が同じ人 $1 人'],
  [/^(\d+) provision\(s\) disclosed to their person, (\d+) withheld \(不開示\), (\d+) missing$/, '本人に開示された情報提供 $1 件、不開示 $2 件、欠落 $3 件'],
  [/^(\d+) holdings watched, none linked$/, '監視した保有 $1 件、結び付けなし'],
  [/^(\d+) node-person pair\(s\): (.*)$/, 'ノードと人の組 $1 件: $2'],
  [/^(\d+) moment\(s\) of two sites serving; (\d+) promotion\(s\) refused$/, '二つのサイトが同時に提供した時点 $1 回、拒否された昇格 $2 回'],
  [/^(\d+) acknowledged write\(s\) lost at promotion \(synchronous mirroring\), (\d+) at failback$/, '昇格時に失われた応答済みの書き込み $1 件 (同期ミラーリング)、切り戻し時 $2 件'],
  [/^(\d+) acknowledged write\(s\) lost at promotion \(not synchronous: measured, allowed\), (\d+) at failback$/,
    '昇格時に失われた応答済みの書き込み $1 件 (非同期: 計測のみ、許容)、切り戻し時 $2 件'],
  [/^could not be checked: (.*)$/, '確認できませんでした: $1'],
];

// Messages from the server (web/API.md: one line in English) in Japanese, by pattern; one no
// pattern knows is shown as it came, marked as the server's.
const SERVER_JA = [
  [/^the run has ended \((.*)\): nothing to control$/, '実行は終了しています ($1)。操作できません'],
  [/^'time' must be after the simulated clock$/, '時刻はシミュレーションの現在時刻より後にしてください'],
  [/^'time' must be a time .*$/, '時刻 (「2017-11-13 10:00」「10:00」) または現在からの時間 (「+30m」) を指定してください'],
  [/^'(.*)' is not a local government or an agency$/, '「$1」は地方公共団体でも国の機関でもありません'],
  [/^no inquiry has been recorded yet.*$/, 'まだ情報照会が記録されていません。少し実行してください'],
  [/^flow (\d+) is not recorded.*$/, 'フロー $1 は記録されていません (直近のものと固定したものだけが記録されます)'],
  [/^'target': unknown node (.*)$/, '対象「$1」というノードや団体はありません'],
  [/^'peer': unknown node (.*)$/, '相手側「$1」というノードや団体はありません'],
  [/^(\w+): no target$/, '$1: 対象を指定してください'],
  [/^(\w+): '(.*)' is not a site$/, '$1: 「$2」はサイトではありません'],
  [/^(\w+): needs two sides \(a, b\)$/, '$1: 両端 (対象と相手側) を指定してください'],
  [/^'(\w+)': expected a duration like "3h" or seconds$/, '$1: 「3h」のような期間か秒数を指定してください'],
  [/^fault (\d+) has ended already$/, '障害 $1 はすでに終了しています'],
  [/^no fault (\d+)$/, '障害 $1 はありません'],
  [/^too many pinned flows: unpin one first$/, '固定したフローが多すぎます。先に一つ解除してください'],
  [/^this run has no (.*)$/, 'この実行には対象がありません ($1)'],
  [/^failback refused: (.*)$/, '切り戻しは拒否されました: $1'],
  [/^promotion refused: (.*)$/, '昇格は拒否されました: $1'],
  [/^'(.*)' is not a platform site$/, '「$1」はプラットフォームサイトではありません'],
  [/^'to' is '(.*)': after the simulated clock.*$/, '「$1」は現在のシミュレーション時刻より後です (戻れるのは過去だけです)'],
  [/^'to' is '(.*)': before the run's start$/, '「$1」は実行の開始より前です'],
  [/^'to' is '(.*)': expected a time.*$/, '「$1」: 時刻 (「2017-11-13 09:00」「09:00」) または戻る時間 (「-30m」) を指定してください'],
  [/^'to' (is required|must be a time as text).*$/, '戻る時刻 (「2017-11-13 09:00」「09:00」「-30m」) を指定してください'],
  [/^this run cannot be rewound: (.*)$/, 'この実行は巻き戻せません: $1'],
  [/^the rewind failed: (.*)$/, '巻き戻しに失敗しました (実行は元の時点のまま続きます): $1'],
];

export function serverMessage(text) {
  if (lang !== 'ja' || !text) return text || '';
  for (const [re, ja] of SERVER_JA) if (re.test(text)) return text.replace(re, ja);
  return `サーバーからのエラー: ${text}`;
}

export function invariantDetail(detail) {
  if (lang !== 'ja' || !detail) return detail || '';
  for (const [re, ja] of DETAILS_JA) if (re.test(detail)) return detail.replace(re, ja);
  return detail;
}

let lang = 'en';
try { lang = localStorage.getItem('renkei.lang') || ((navigator.language || '').startsWith('ja') ? 'ja' : 'en'); } catch { /* private mode */ }
const listeners = [];

export function getLang() { return lang; }

export function setLang(l) {
  lang = l === 'ja' ? 'ja' : 'en';
  try { localStorage.setItem('renkei.lang', lang); } catch { /* private mode */ }
  document.documentElement.lang = lang;
  applyStatic();
  for (const fn of listeners) fn(lang);
}

export function onLang(fn) { listeners.push(fn); }

// t('flow_hop', { i: 1, n: 9 })
export function t(key, vars) {
  let s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

export function step(name) { return STEPS[lang][name] || STEPS.en[name] || [name, '']; }

// A platform site by its node name, as people say it: "east site", "東日本サイト".
export function siteLabel(name) {
  const ja = { east: '東日本', west: '西日本' }[name];
  if (name !== 'east' && name !== 'west') return name;
  return lang === 'ja' ? `${ja}サイト` : t('site_label', { name });
}

export function prefName(code) {
  const p = PREFECTURES[code];
  return p ? p[lang === 'ja' ? 0 : 1] : code;
}

// Elements with data-i18n="key" (text) or data-i18n-placeholder / data-i18n-title.
export function applyStatic(root = document) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const e of root.querySelectorAll('[data-i18n-title]')) e.title = t(e.dataset.i18nTitle);
  document.title = t('title');
}
