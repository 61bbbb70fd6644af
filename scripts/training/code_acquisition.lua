-- scripts/training/code_acquisition.lua - one code acquisition (符号取得), step by step, as the
-- My Number Act has it (Art. 21-2): a child is born in Chiyoda, and Chiyoda's integrated
-- addressee system obtains the child's agency code. On the dashboard (it starts paused; press
-- Play, and Next hop in the flow view to go hop by hop):
--   renkei run topologies/small.lua scripts/training/code_acquisition.lua --serve 8080
-- or without a browser, reading the trace:
--   renkei run topologies/small.lua scripts/training/code_acquisition.lua --out out/code
-- The three parties: Chiyoda's intermediate server issues a one-time acquisition number;
-- Chiyoda sends it with the resident-record code over its own 住基ネット connection to J-LIS;
-- J-LIS hands the NWS a person key with the number; the NWS sends the code with the number to
-- the intermediate server through its interface system, never through J-LIS.

local baby = new_resident("131016")

caption {
  en = "Welcome. A child was born in Chiyoda, Tokyo. Before Chiyoda can inquire or provide information "
    .. "about the child over the network, its intermediate server needs the child's agency code, which "
    .. "only the NWS issues. Press Play to begin.",
  ja = "ようこそ。東京都千代田区で子どもが生まれました。千代田区がネットワークでこの子の情報を照会・提供するには、"
    .. "中間サーバーにこの子の機関別符号が必要です。機関別符号を発行するのは情報提供ネットワークシステムだけです。"
    .. "「再生」を押して始めてください。",
}

at("08:59:59", function()
  caption {
    en = "09:00: Chiyoda's integrated addressee system asks its intermediate server for a code for the child's "
      .. "addressee number (" .. baby .. "). The server issues a one-time acquisition number (取得番号) and "
      .. "keeps which addressee it stands for.",
    ja = "9時: 千代田区の団体内統合宛名システムが、この子の宛名番号 (" .. baby .. ") の符号取得を中間サーバーに求めます。"
      .. "中間サーバーは一時的な取得番号を発行し、どの宛名番号のものかを覚えておきます。",
  }
  pause_here()
end)

at("09:00", function()
  log("Chiyoda acquires the agency code of addressee " .. baby)
  acquire_code("131016", baby)
  after("5ms", function()   -- the number is back at Chiyoda, on its way to J-LIS
    caption {
      en = "Chiyoda sends the resident-record code with the acquisition number over its own 住基ネット "
        .. "connection to J-LIS — not through the intermediate server. J-LIS turns the resident-record code "
        .. "into a person key only it can compute and hands it, with the number, to the NWS.",
      ja = "千代田区が住民票コードと取得番号を、自団体の住基ネット接続で J-LIS に送ります。中間サーバーは経由しません。"
        .. "J-LIS は住民票コードを自分だけが計算できる個人キーに変え、取得番号とともに情報提供ネットワークシステムに渡します。",
    }
    pause_here()
  end)
end)

local ended = {}
on_flow_end(function(ev)
  ended[#ended + 1] = ev
  log(string.format("flow %d (%s) ended: %s", ev.flow, ev.kind, ev.outcome))
  caption {
    en = "Done in " .. string.format("%.0f", ev.latency / 1000) .. " ms (" .. ev.outcome .. "). The NWS issued "
      .. "Chiyoda's agency code for the child (in the Act, 情報提供用個人識別符号) and sent it with the "
      .. "acquisition number to Chiyoda's intermediate server through its interface system. The server matched "
      .. "the answer on the number, stored addressee number ↔ code and forgot the number. J-LIS never saw the "
      .. "code, and the existing systems never see it: only the NWS can link the resident-record code to it.",
    ja = string.format("%.0f", ev.latency / 1000) .. " ミリ秒で完了しました (" .. ev.outcome .. ")。情報提供ネットワークシステムが"
      .. "千代田区用の機関別符号 (番号法上の情報提供用個人識別符号) を発行し、取得番号とともにインターフェイスシステム経由で千代田区の"
      .. "中間サーバーに送りました。中間サーバーは取得番号で応答を照合し、宛名番号と符号の対応を保存して取得番号を破棄しました。"
      .. "J-LIS は符号を見ておらず、既存システムも符号を見ません。住民票コードと符号を結び付けられるのは情報提供ネットワークシステムだけです。",
  }
  pause_here()
end)

expect("the code was acquired", function()
  return ended[1] and ended[1].kind == "code_request" and ended[1].outcome == "ok", ended[1] and ended[1].outcome
end)
expect("no node but the NWS linked the child's resident-record code to a code", function(r)
  return r.invariants["no node but the NWS holds a resident-derived key and an agency code of one person"]
end)
