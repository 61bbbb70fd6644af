-- scripts/training/child_allowance.lua - one child-allowance inquiry, step by step: Osaka asks
-- Chiyoda, where the resident lived before, for local-tax information. As a walkthrough on
-- the dashboard (it starts paused; press Play, and Next hop in the flow view to go hop by hop):
--   renkei run topologies/small.lua scripts/training/child_allowance.lua --serve 8080
-- or without a browser, reading the trace:
--   renkei run topologies/small.lua scripts/training/child_allowance.lua --out out/ca
-- The inquiry leaves Osaka with its addressee number and the staff member; Osaka's intermediate
-- server (its tenant at the west site) checks the staff member's account for the procedure,
-- logs the inquiry and converts to Osaka's agency code, sending on neither the addressee number
-- nor the staff id; the NWS issues the serial number and converts to Chiyoda's code, Chiyoda's
-- intermediate server answers from its replica, sealed for Osaka. Each of the three records it
-- (Art. 23), and the family sees it in マイナポータル.
--
-- caption{} shows narration on the dashboard (and writes it to the trace); pause_here()
-- pauses there when a dashboard is watching (and does nothing otherwise), so the trace is
-- the same with or without a browser.

local who
for a = 1, 2000 do
  local r = resident("271004", a)
  if r.current and r.moved_from and r.moved_from.name == "131016" then who = a break end
end
assert(who, "no resident of Osaka moved in from Chiyoda at this scale")
local person = resident("271004", who).person

-- the desk's staff member 7 may use the child-allowance procedure at Osaka's server
staff { body = "271004", id = 7, procedures = { "child_allowance" } }
mynaportal {}

caption {
  en = "Welcome. Osaka City's child-allowance desk must check the income of a family that moved in from "
    .. "Chiyoda, Tokyo. Instead of asking the family for a tax certificate, it asks Chiyoda through the "
    .. "information-provision network. Press Play to begin.",
  ja = "ようこそ。大阪市の児童手当窓口は、東京都千代田区から転入した世帯の所得を確認する必要があります。"
    .. "世帯に課税証明書を求める代わりに、情報提供ネットワークシステムを通じて千代田区に照会します。"
    .. "「再生」を押して始めてください。",
}

at("08:59:59", function()
  caption {
    en = "09:00: the desk sends the inquiry. Watch the flow view: the inquiry carries only Osaka's "
      .. "integrated addressee number (" .. who .. ") and the staff member to Osaka's own intermediate "
      .. "server, never the individual number. That server identifies the staff member and checks that "
      .. "this account may use the child-allowance procedure (the inquirer's duty); the staff id goes no "
      .. "further. Press Next hop in the flow view to follow it one hop at a time.",
    ja = "9時: 窓口が情報照会を送ります。フロー表示を見てください。照会が運ぶのは大阪市の団体内統合宛名番号 ("
      .. who .. ") と職員で、送り先は大阪市自身の中間サーバーです。個人番号は送りません。"
      .. "中間サーバーが職員を識別し、その職員に児童手当の事務の権限があるか確認します (照会者の責務)。職員IDはその先へは送られません。"
      .. "フロー表示の「次のホップ」で1ホップずつ進めます。",
  }
  pause_here()
end)

at("09:00", function()
  log("Osaka's child-allowance desk asks Chiyoda about addressee " .. who)
  inquire { from = "271004", addressee = who, procedure = "child_allowance", provider = "131016", staff = 7 }
  after("12ms", function()   -- the inquiry has just passed the NWS
    caption {
      en = "The NWS has checked the permission table (child allowance may ask for local-tax information), "
        .. "issued the processing serial number and converted Osaka's agency code into Chiyoda's. "
        .. "Only the NWS can link the two codes.",
      ja = "情報提供ネットワークシステムが許可表を確認し (児童手当の事務で地方税関係情報を照会できる)、"
        .. "処理通番を発行し、大阪市の機関別符号を千代田区の符号に変換しました。"
        .. "二つの符号を結び付けられるのは情報提供ネットワークシステムだけです。",
    }
    pause_here()
  end)
end)

local ended = {}
on_flow_end(function(ev)
  ended[#ended + 1] = ev
  log(string.format("flow %d (%s) ended: %s, serial %s, %s", ev.flow, ev.kind, ev.outcome,
                    tostring(ev.serial_no), ev.payload or ""))
  caption {
    en = "Answered in " .. string.format("%.0f", ev.latency / 1000) .. " ms. Chiyoda's intermediate server "
      .. "answered from its replica automatically; its interface system sealed the answer for Osaka, so "
      .. "the NWS relayed only ciphertext. Osaka's side opened it and logged serial number "
      .. tostring(ev.serial_no) .. ": the three records (Osaka, the NWS, Chiyoda) reconcile. "
      .. "Pick any hop in the flow view to see what it carried.",
    ja = string.format("%.0f", ev.latency / 1000) .. " ミリ秒で応答がありました。千代田区の中間サーバーが副本から自動で応答し、"
      .. "インターフェイスシステムが大阪市向けに暗号化したため、情報提供ネットワークシステムは暗号文を中継しただけです。"
      .. "大阪市側で復号し、処理通番 " .. tostring(ev.serial_no) .. " を記録しました。大阪市・情報提供ネットワークシステム・"
      .. "千代田区の三者の記録が突合できます。フロー表示の各ホップを選ぶと、運ばれた内容を確認できます。",
  }
  pause_here()
  after("1s", function()   -- what the family sees tonight in マイナポータル
    local rows = disclose(person)
    local last = rows[#rows]
    caption {
      en = "What the family sees tonight in Mynaportal (the disclosure of access records, Art. 23): "
        .. (last and (last.inquirer_name .. " asked " .. last.provider_name .. " for local-tax information for "
        .. "the child-allowance procedure, serial number " .. last.serial_no) or "nothing yet")
        .. ". The portal knows the family only by its own disclosure code, which only the NWS links to them; "
        .. "a row marked 不開示 (withheld) would not be shown.",
      ja = "今夜、世帯がマイナポータルで見る情報提供等記録 (番号法第23条): "
        .. (last and (last.inquirer_name .. "が" .. last.provider_name .. "に、" .. (last.procedure_ja or "")
        .. "のため地方税関係情報を照会しました (処理通番 " .. last.serial_no .. ")") or "まだ記録はありません")
        .. "。マイナポータルは世帯を自分専用の開示用の符号でしか知らず、それを本人に結び付けられるのは情報提供ネットワークシステムだけです。"
        .. "不開示とされた記録は表示されません。",
    }
    pause_here()
  end)
end)

expect("the family's disclosure shows the inquiry", function()
  local rows = disclose(person)
  return #rows == 1 and rows[1].inquirer == "271004" and rows[1].provider == "131016", json_encode(rows)
end)

expect("the inquiry was answered with local-tax information", function()
  local ev = ended[1]
  return ev and ev.outcome == "ok" and ev.payload and ev.payload:find("TM00000000000002") ~= nil,
         ev and ev.outcome or "no answer"
end)
