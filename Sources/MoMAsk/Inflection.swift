/// English verb and noun forms, enough to turn a question's verb into the statement's.
///
/// "When did the train leave?" is answered by "the train left at …", "How many cats does Maria
/// have?" by "Maria has …", "Who wrote X?" by "X was written by …": the memory's keys are the
/// words as written, so a probe must use the form the document used.
enum Inflection {
    /// base → (past, past participle) for the irregular verbs common in prose.
    static let irregular: [String: (String, String)] = {
        let table = """
            arise arose arisen; awake awoke awoken; be was been; bear bore born; beat beat beaten; become became become; \
            begin began begun; bend bent bent; bet bet bet; bind bound bound; bite bit bitten; bleed bled bled; \
            blow blew blown; break broke broken; bring brought brought; build built built; burn burnt burnt; \
            buy bought bought; catch caught caught; choose chose chosen; come came come; cost cost cost; \
            cut cut cut; deal dealt dealt; dig dug dug; do did done; draw drew drawn; dream dreamt dreamt; \
            drink drank drunk; drive drove driven; eat ate eaten; fall fell fallen; feed fed fed; feel felt felt; \
            fight fought fought; find found found; fly flew flown; forbid forbade forbidden; forget forgot forgotten; \
            forgive forgave forgiven; freeze froze frozen; get got got; give gave given; go went gone; grow grew grown; \
            hang hung hung; have had had; hear heard heard; hide hid hidden; hit hit hit; hold held held; hurt hurt hurt; \
            keep kept kept; know knew known; lay laid laid; lead led led; leave left left; lend lent lent; let let let; \
            lie lay lain; light lit lit; lose lost lost; make made made; mean meant meant; meet met met; pay paid paid; \
            put put put; quit quit quit; read read read; ride rode ridden; ring rang rung; rise rose risen; run ran run; \
            say said said; see saw seen; seek sought sought; sell sold sold; send sent sent; set set set; shake shook shaken; \
            shine shone shone; shoot shot shot; show showed shown; shut shut shut; sing sang sung; sink sank sunk; \
            sit sat sat; sleep slept slept; speak spoke spoken; spend spent spent; stand stood stood; steal stole stolen; \
            stick stuck stuck; strike struck struck; swear swore sworn; swim swam swum; take took taken; teach taught taught; \
            tear tore torn; tell told told; think thought thought; throw threw thrown; understand understood understood; \
            wake woke woken; wear wore worn; win won won; write wrote written
            """
        var forms: [String: (String, String)] = [:]
        for entry in table.split(separator: ";") {
            let words = entry.split(separator: " ").map(String.init)
            if words.count == 3 { forms[words[0]] = (words[1], words[2]) }
        }
        return forms
    }()

    /// Verbs a statement may use for the one a question asks with ("How many goats does Emil
    /// have?" against "Emil owns 6 goats"; "When does the bus leave?" against "the bus departs"):
    /// common English equivalences, base forms, each listing the others of its group.
    static let synonyms: [String: [String]] = {
        let groups = [["have", "own", "keep"], ["leave", "depart"], ["begin", "start"], ["end", "finish"], ["buy", "purchase"],
                      ["live", "reside"], ["earn", "make"]]
        var table: [String: [String]] = [:]
        for group in groups {
            for verb in group { table[verb] = group.filter { $0 != verb } }
        }
        return table
    }()

    /// The base form of a verb given in any form the table knows (past or participle), else itself.
    static func base(of verb: String) -> String {
        let lower = verb.lowercased()
        if irregular[lower] != nil { return lower }
        for (base, forms) in irregular where forms.0 == lower || forms.1 == lower { return base }
        return lower
    }

    static func past(_ verb: String) -> String {
        let base = base(of: verb)
        if let forms = irregular[base] { return forms.0 }
        return regularPast(base)
    }

    static func participle(_ verb: String) -> String {
        let base = base(of: verb)
        if let forms = irregular[base] { return forms.1 }
        return regularPast(base)
    }

    /// The third person singular present: "has", "goes", "lives", "carries".
    static func thirdPerson(_ verb: String) -> String {
        let base = verb.lowercased()
        switch base {
        case "have": return "has"
        case "be": return "is"
        case "do": return "does"
        case "go": return "goes"
        default: break
        }
        if base.hasSuffix("s") || base.hasSuffix("sh") || base.hasSuffix("ch") || base.hasSuffix("x") || base.hasSuffix("z") {
            return base + "es"
        }
        if base.hasSuffix("y"), let before = base.dropLast().last, !"aeiou".contains(before) {
            return base.dropLast() + "ies"
        }
        return base + "s"
    }

    static func regularPast(_ base: String) -> String {
        if base.hasSuffix("ed") { return base }
        if base.hasSuffix("e") { return base + "d" }
        if base.hasSuffix("y"), let before = base.dropLast().last, !"aeiou".contains(before) {
            return base.dropLast() + "ied"
        }
        return base + "ed"
    }

    /// The other number of a noun: "numbers" ↔ "number", "cities" ↔ "city", "boxes" ↔ "box".
    static func otherNumber(_ noun: String) -> String? {
        let lower = noun.lowercased()
        guard lower.count > 2, lower.allSatisfy(\.isLetter) else { return nil }
        if lower.hasSuffix("ies") { return lower.dropLast(3) + "y" }
        // "glasses", "boxes", "churches", "dishes" drop "es"; "horses", "houses", "cases" only "s".
        if lower.hasSuffix("sses") || lower.hasSuffix("xes") || lower.hasSuffix("ches") || lower.hasSuffix("shes") {
            return String(lower.dropLast(2))
        }
        if lower.hasSuffix("ss") || lower.hasSuffix("us") || lower.hasSuffix("is") { return nil }
        if lower.hasSuffix("s") { return String(lower.dropLast()) }
        if lower.hasSuffix("y"), let before = lower.dropLast().last, !"aeiou".contains(before) { return lower.dropLast() + "ies" }
        if lower.hasSuffix("x") || lower.hasSuffix("ch") || lower.hasSuffix("sh") { return lower + "es" }
        return lower + "s"
    }
}
