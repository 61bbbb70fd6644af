-- topologies/data/permissions.lua - the permission table of renkei's information-provision
-- network system (NWS): which procedure (事務手続) may ask which provider for which item of
-- specific personal information (特定個人情報). The NWS refuses any inquiry whose
-- (procedure, item, provider) is not in this table with the error "not_permitted"; the
-- workload draws inquiries from it in proportion to `weight`. See PERMISSIONS.md beside this
-- file for the sources, what is real and what is assumed.
--
-- A small, realistic SUBSET (15 items, 49 procedures) modelled on:
--   * 番号法 (行政手続における特定の個人を識別するための番号の利用等に関する法律, 平成25年法律第27号)
--     別表第二 (inquirer / 事務 / provider / 特定個人情報), its ordinance 「別表第二の主務省令で定める
--     事務及び情報を定める命令」(平成26年内閣府・総務省令第7号), and (as we understand it) the
--     主務省令 that took over 別表第二 after the 2023 amendment. Item names are the table's terms
--     (地方税関係情報, 住民票関係情報, 年金給付関係情報, 医療保険給付関係情報, 介護保険給付等関係情報,
--     ...) where it has one, otherwise descriptive names in the same style (PERMISSIONS.md).
--   * デジタル庁's 情報連携 tables (「情報連携の対象となる事務・情報」) and データ標準レイアウト, for
--     the TM item-code style (特定個人情報名コード: "TM" + 14 digits). The layout itself was not
--     consulted; the four codes marked code_source = "observed" were corroborated from public
--     source code that uses them (a municipality's benefit tool, a care-insurance package,
--     マイナポータル 自己情報 API clients). Every other code is ASSUMED, in the range
--     TM99000000000001.. so that it cannot be mistaken for a real code.
--   * 会計検査院「マイナンバー制度における地方公共団体による情報照会の実施状況について」(2024-05):
--     local governments made 3029万余件 inquiries in fiscal 2022, 地方税関係情報 the most.
-- ASSUMED: every weight (per mille of all NWS inquiries; they add up to 1000; local-tax
--   inquiries by local governments carry 595 of them), the agencies' share of the volume,
--   the assumed TM codes, and which procedures of the real table (about 1,400 with a local
--   government as inquirer) are in the subset. Procedures are real kinds of 事務 under the
--   named laws; the exact inquirer/provider/item rows are modelled, not copied.
--
-- Fields.
--   items:      code (TM…), name_ja, name_en, holder ("lg" or an agency: "pension",
--               "health_insurance", "employment"), code_source ("observed" | "assumed").
--   procedures: id (snake_case, unique), name_ja, name_en, inquirer ("lg" or an agency),
--               provider (= the item's holder; "lg" = another local government, typically the
--               previous municipality of a resident who moved in, 転入元), item (a code in
--               items), weight (positive integer, per mille), law (the basis law, real),
--               optional inquirer_lg_kind = "prefecture" (default: a municipality asks),
--               optional jt (a real 事務手続コード, only where observed).
-- Deterministic data: no functions, no randomness. Grouped by who asks whom, heaviest first
-- within a group.
return {
  items = {
    -- held by local governments (provided from the intermediate server's provision DB)
    { code = "TM00000000000001", name_ja = "住民票関係情報",           name_en = "resident record information",                         holder = "lg",               code_source = "observed" },
    { code = "TM00000000000002", name_ja = "地方税関係情報",           name_en = "local tax information",                               holder = "lg",               code_source = "observed" },
    { code = "TM00000000000004", name_ja = "介護保険給付等関係情報",   name_en = "long-term care insurance benefit information",        holder = "lg",               code_source = "observed" },
    { code = "TM00000000000082", name_ja = "特定医療費（指定難病）関係情報", name_en = "specified medical expenses (designated intractable disease) information", holder = "lg", code_source = "observed" },
    { code = "TM99000000000005", name_ja = "児童手当関係情報",         name_en = "child allowance information",                         holder = "lg",               code_source = "assumed" },
    { code = "TM99000000000006", name_ja = "児童扶養手当関係情報",     name_en = "child rearing allowance information",                 holder = "lg",               code_source = "assumed" },
    { code = "TM99000000000007", name_ja = "生活保護関係情報",         name_en = "public assistance information",                       holder = "lg",               code_source = "assumed" },
    { code = "TM99000000000008", name_ja = "障害者関係情報",           name_en = "disability certificate information",                  holder = "lg",               code_source = "assumed" },
    { code = "TM99000000000009", name_ja = "障害者自立支援給付関係情報", name_en = "disability independence-support benefit information", holder = "lg",             code_source = "assumed" },
    { code = "TM99000000000010", name_ja = "予防接種関係情報",         name_en = "vaccination information",                             holder = "lg",               code_source = "assumed" },
    { code = "TM99000000000011", name_ja = "母子保健関係情報",         name_en = "maternal and child health information",               holder = "lg",               code_source = "assumed" },
    { code = "TM99000000000012", name_ja = "国民健康保険関係情報",     name_en = "national health insurance information",               holder = "lg",               code_source = "assumed" },
    -- held by national agencies
    { code = "TM99000000000013", name_ja = "年金給付関係情報",         name_en = "pension benefit information",                         holder = "pension",          code_source = "assumed" },
    { code = "TM99000000000014", name_ja = "雇用保険給付関係情報",     name_en = "employment insurance benefit information",            holder = "employment",       code_source = "assumed" },
    { code = "TM99000000000015", name_ja = "医療保険給付関係情報",     name_en = "health insurance benefit information",                holder = "health_insurance", code_source = "assumed" },
  },

  procedures = {
    -- ---- local government asks local government, 地方税関係情報 (595) --------------------------
    { id = "local_tax_assessment", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 105,
      name_ja = "地方税の賦課徴収に関する事務（個人住民税の賦課）", name_en = "local tax assessment (individual inhabitant tax)", law = "地方税法" },
    { id = "child_allowance", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 90,
      name_ja = "児童手当の支給に関する事務（受給資格・所得の確認）", name_en = "child allowance (eligibility and income check)", law = "児童手当法" },
    { id = "childcare_certification", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 90,
      name_ja = "子どものための教育・保育給付の支給認定（利用者負担額の決定）", name_en = "early childhood education and care benefit certification (user fee)", law = "子ども・子育て支援法" },
    { id = "ltc_premium", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 60,
      name_ja = "介護保険の保険料の賦課（所得段階の判定）", name_en = "long-term care insurance premium (income bracket)", law = "介護保険法" },
    { id = "nhi_premium", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 40,
      name_ja = "国民健康保険の保険料（税）の賦課", name_en = "national health insurance premium assessment", law = "国民健康保険法" },
    { id = "price_relief_benefit", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 40, jt = "JT01010000000214",
      name_ja = "住民税非課税世帯等に対する給付金の支給（特定公的給付）", name_en = "benefit for inhabitant-tax-exempt households (specified public benefit)", law = "公的給付の支給等の迅速かつ確実な実施のための預貯金口座の登録等に関する法律" },
    { id = "child_rearing_allowance", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 30,
      name_ja = "児童扶養手当の支給に関する事務（所得制限）", name_en = "child rearing allowance (income limit)", law = "児童扶養手当法" },
    { id = "disability_services_fee", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 30,
      name_ja = "自立支援給付の支給に関する事務（利用者負担上限月額）", name_en = "disability welfare services (monthly user-charge cap)", law = "障害者の日常生活及び社会生活を総合的に支援するための法律" },
    { id = "high_school_tuition_support", inquirer = "lg", inquirer_lg_kind = "prefecture", provider = "lg", item = "TM00000000000002", weight = 25,
      name_ja = "高等学校等就学支援金の支給に関する事務", name_en = "high school tuition support fund", law = "高等学校等就学支援金の支給に関する法律" },
    { id = "support_medical_care", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 20,
      name_ja = "自立支援医療費の支給認定（所得区分）", name_en = "medical care for independence support (income category)", law = "障害者の日常生活及び社会生活を総合的に支援するための法律" },
    { id = "public_housing_rent", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 20,
      name_ja = "公営住宅の管理に関する事務（収入の認定・家賃の決定）", name_en = "public housing (income and rent)", law = "公営住宅法" },
    { id = "ltc_facility_cost_reduction", inquirer = "lg", provider = "lg", item = "TM00000000000002", weight = 15,
      name_ja = "特定入所者介護サービス費の支給（負担限度額認定）", name_en = "care facility food and lodging cost reduction", law = "介護保険法" },
    { id = "intractable_disease_medical", inquirer = "lg", inquirer_lg_kind = "prefecture", provider = "lg", item = "TM00000000000002", weight = 12,
      name_ja = "特定医療費の支給認定（自己負担上限月額）", name_en = "specified medical expenses for intractable diseases (co-payment cap)", law = "難病の患者に対する医療等に関する法律" },
    { id = "special_child_rearing_allowance", inquirer = "lg", inquirer_lg_kind = "prefecture", provider = "lg", item = "TM00000000000002", weight = 10,
      name_ja = "特別児童扶養手当の支給に関する事務（所得制限）", name_en = "special child rearing allowance (income limit)", law = "特別児童扶養手当等の支給に関する法律" },
    { id = "pediatric_chronic_disease", inquirer = "lg", inquirer_lg_kind = "prefecture", provider = "lg", item = "TM00000000000002", weight = 8,
      name_ja = "小児慢性特定疾病医療費の支給認定（自己負担上限月額）", name_en = "pediatric chronic specified disease medical expenses (co-payment cap)", law = "児童福祉法" },

    -- ---- local government asks local government, other items (82) ---------------------------
    { id = "vaccination_history", inquirer = "lg", provider = "lg", item = "TM99000000000010", weight = 20,
      name_ja = "予防接種の実施に関する事務（転入者の接種履歴）", name_en = "vaccination (history of a resident who moved in)", law = "予防接種法" },
    { id = "child_allowance_residence", inquirer = "lg", provider = "lg", item = "TM00000000000001", weight = 15,
      name_ja = "児童手当の支給に関する事務（別居監護の児童の住民票）", name_en = "child allowance (resident record of a child living apart)", law = "児童手当法" },
    { id = "ltc_certification_transfer", inquirer = "lg", provider = "lg", item = "TM00000000000004", weight = 10,
      name_ja = "要介護認定に関する事務（転入者の認定情報）", name_en = "care-need certification (certification of a resident who moved in)", law = "介護保険法" },
    { id = "maternal_child_health", inquirer = "lg", provider = "lg", item = "TM99000000000011", weight = 8,
      name_ja = "母子保健に関する事務（妊婦・乳幼児健康診査情報の引継ぎ）", name_en = "maternal and child health (health check records)", law = "母子保健法" },
    { id = "disability_certificate_check", inquirer = "lg", provider = "lg", item = "TM99000000000008", weight = 8,
      name_ja = "自立支援給付の支給に関する事務（身体障害者手帳等の情報）", name_en = "disability welfare services (disability certificate)", law = "障害者の日常生活及び社会生活を総合的に支援するための法律" },
    { id = "nhi_high_cost_count", inquirer = "lg", provider = "lg", item = "TM99000000000012", weight = 5,
      name_ja = "国民健康保険の高額療養費の支給（多数回該当の引継ぎ）", name_en = "national health insurance high-cost medical expenses (repeat count)", law = "国民健康保険法" },
    { id = "public_assistance_history", inquirer = "lg", provider = "lg", item = "TM99000000000007", weight = 4,
      name_ja = "生活保護の決定及び実施に関する事務（他の実施機関での保護歴）", name_en = "public assistance (earlier assistance elsewhere)", law = "生活保護法" },
    { id = "disability_services_transfer", inquirer = "lg", provider = "lg", item = "TM99000000000009", weight = 4,
      name_ja = "自立支援給付の支給決定（転入者の支給決定状況）", name_en = "disability welfare services (decision for a resident who moved in)", law = "障害者の日常生活及び社会生活を総合的に支援するための法律" },
    { id = "child_allowance_status", inquirer = "lg", provider = "lg", item = "TM99000000000005", weight = 3,
      name_ja = "児童手当の支給に関する事務（前住所地での支給状況）", name_en = "child allowance (payments by the previous municipality)", law = "児童手当法" },
    { id = "child_rearing_allowance_transfer", inquirer = "lg", provider = "lg", item = "TM99000000000006", weight = 3,
      name_ja = "児童扶養手当の支給に関する事務（前住所地での受給状況）", name_en = "child rearing allowance (payments by the previous municipality)", law = "児童扶養手当法" },
    { id = "intractable_disease_transfer", inquirer = "lg", inquirer_lg_kind = "prefecture", provider = "lg", item = "TM00000000000082", weight = 2,
      name_ja = "特定医療費の支給認定（転居前の支給認定）", name_en = "specified medical expenses for intractable diseases (earlier certification)", law = "難病の患者に対する医療等に関する法律" },

    -- ---- local government asks a national agency (128) ---------------------------------------
    { id = "public_assistance_pension", inquirer = "lg", provider = "pension", item = "TM99000000000013", weight = 30,
      name_ja = "生活保護の決定及び実施に関する事務（年金収入の認定）", name_en = "public assistance (pension income)", law = "生活保護法" },
    { id = "nhi_enrolment", inquirer = "lg", provider = "health_insurance", item = "TM99000000000015", weight = 22,
      name_ja = "国民健康保険の資格の取得（被用者保険の資格喪失の確認）", name_en = "national health insurance enrolment (loss of employee insurance)", law = "国民健康保険法" },
    { id = "ltc_facility_cost_pension", inquirer = "lg", provider = "pension", item = "TM99000000000013", weight = 20,
      name_ja = "特定入所者介護サービス費の支給（非課税年金収入）", name_en = "care facility cost reduction (non-taxable pension income)", law = "介護保険法" },
    { id = "child_rearing_allowance_pension", inquirer = "lg", provider = "pension", item = "TM99000000000013", weight = 15,
      name_ja = "児童扶養手当の支給に関する事務（公的年金給付等との併給調整）", name_en = "child rearing allowance (adjustment with public pensions)", law = "児童扶養手当法" },
    { id = "nhi_involuntary_unemployment", inquirer = "lg", provider = "employment", item = "TM99000000000014", weight = 12,
      name_ja = "国民健康保険の保険料の軽減（非自発的失業者）", name_en = "national health insurance premium relief (involuntary unemployment)", law = "国民健康保険法" },
    { id = "public_assistance_employment", inquirer = "lg", provider = "employment", item = "TM99000000000014", weight = 8,
      name_ja = "生活保護の決定及び実施に関する事務（雇用保険給付の収入認定）", name_en = "public assistance (employment insurance income)", law = "生活保護法" },
    { id = "support_medical_care_insurance", inquirer = "lg", provider = "health_insurance", item = "TM99000000000015", weight = 8,
      name_ja = "自立支援医療費の支給認定（加入している医療保険）", name_en = "medical care for independence support (health insurance)", law = "障害者の日常生活及び社会生活を総合的に支援するための法律" },
    { id = "public_assistance_health_insurance", inquirer = "lg", provider = "health_insurance", item = "TM99000000000015", weight = 5,
      name_ja = "生活保護の決定及び実施に関する事務（医療扶助・医療保険の加入状況）", name_en = "public assistance (medical aid and health insurance)", law = "生活保護法" },
    { id = "special_disability_allowance_pension", inquirer = "lg", provider = "pension", item = "TM99000000000013", weight = 4,
      name_ja = "特別障害者手当等の支給に関する事務（年金収入）", name_en = "special disability allowance (pension income)", law = "特別児童扶養手当等の支給に関する法律" },
    { id = "ltc_high_cost_combined", inquirer = "lg", provider = "health_insurance", item = "TM99000000000015", weight = 4,
      name_ja = "高額医療合算介護サービス費の支給（医療保険の自己負担額）", name_en = "combined high-cost medical and care expenses (care side)", law = "介護保険法" },

    -- ---- a national agency asks (195) --------------------------------------------------------
    { id = "pension_contribution_exemption", inquirer = "pension", provider = "lg", item = "TM00000000000002", weight = 45,
      name_ja = "国民年金の保険料の免除・納付猶予（所得の確認）", name_en = "national pension contribution exemption (income check)", law = "国民年金法" },
    { id = "pension_supplementary_benefit", inquirer = "pension", provider = "lg", item = "TM00000000000002", weight = 40,
      name_ja = "年金生活者支援給付金の支給に関する事務（所得の確認）", name_en = "supplementary benefit for pensioners (income check)", law = "年金生活者支援給付金の支給に関する法律" },
    { id = "pension_survivor_household", inquirer = "pension", provider = "lg", item = "TM00000000000001", weight = 10,
      name_ja = "遺族年金・加給年金額に関する事務（生計維持・世帯の確認）", name_en = "survivors' pension and spouse supplement (household check)", law = "国民年金法・厚生年金保険法" },
    { id = "pension_employment_adjustment", inquirer = "pension", provider = "employment", item = "TM99000000000014", weight = 10,
      name_ja = "老齢厚生年金と雇用保険給付との調整", name_en = "old-age employees' pension and employment insurance adjustment", law = "厚生年金保険法" },
    { id = "disability_basic_pension_income", inquirer = "pension", provider = "lg", item = "TM00000000000002", weight = 5,
      name_ja = "20歳前傷病による障害基礎年金の支給停止（所得制限）", name_en = "disability basic pension for pre-20 onset (income limit)", law = "国民年金法" },
    { id = "pension_statutory_exemption", inquirer = "pension", provider = "lg", item = "TM99000000000007", weight = 5,
      name_ja = "国民年金の保険料の法定免除（生活扶助の受給）", name_en = "national pension statutory exemption (livelihood assistance)", law = "国民年金法" },
    { id = "health_high_cost_limit", inquirer = "health_insurance", provider = "lg", item = "TM00000000000002", weight = 30,
      name_ja = "健康保険の高額療養費の支給（限度額適用・低所得区分の判定）", name_en = "health insurance high-cost medical expenses (low-income category)", law = "健康保険法" },
    { id = "health_dependent_income", inquirer = "health_insurance", provider = "lg", item = "TM00000000000002", weight = 15,
      name_ja = "健康保険の被扶養者の認定（所得の確認）", name_en = "health insurance dependant certification (income check)", law = "健康保険法" },
    { id = "health_dependent_pension", inquirer = "health_insurance", provider = "pension", item = "TM99000000000013", weight = 10,
      name_ja = "健康保険の被扶養者の認定（年金収入の確認）", name_en = "health insurance dependant certification (pension income)", law = "健康保険法" },
    { id = "health_sickness_pension_adjustment", inquirer = "health_insurance", provider = "pension", item = "TM99000000000013", weight = 10,
      name_ja = "傷病手当金と障害厚生年金等との調整", name_en = "sickness allowance and disability pension adjustment", law = "健康保険法" },
    { id = "health_high_cost_combined", inquirer = "health_insurance", provider = "lg", item = "TM00000000000004", weight = 5,
      name_ja = "高額介護合算療養費の支給（介護保険の自己負担額）", name_en = "combined high-cost medical and care expenses (medical side)", law = "健康保険法" },
    { id = "vocational_training_benefit", inquirer = "employment", provider = "lg", item = "TM00000000000002", weight = 5,
      name_ja = "職業訓練受講給付金の支給（収入の確認）", name_en = "job seeker training benefit (income check)", law = "職業訓練の実施等による特定求職者の就職の支援に関する法律" },
    { id = "employment_insurance_residence", inquirer = "employment", provider = "lg", item = "TM00000000000001", weight = 5,
      name_ja = "雇用保険の失業等給付の支給（住所・世帯の確認）", name_en = "employment insurance benefits (address and household check)", law = "雇用保険法" },
  },
}
