import MoMCore

/// Facts of varied kinds planted in prose, each asked in words unlike the sentence that holds it,
/// with questions the document cannot answer mixed in.
///
/// Each kind has two or three statement forms and several question wordings; a document draws
/// one of each per fact, so the wording asked is rarely the wording stored.
enum NaturalQuestions {
    struct Fact {
        /// What the fact is about, with its kind: two facts with one subject would answer each other's questions.
        var subject: String
        var statement: String
        var question: String
        var answer: String
    }

    /// Eight facts a document: six planted and asked, two asked but never planted.
    static let planted = 6
    static let unanswerable = 3

    static func document(tokens: Int, prose: Passkey.SentenceTokens, generator: inout SplitMix64) -> QADocument {
        var subjects = Set<String>()
        var facts: [Fact] = []
        var missing: [Fact] = []
        var kinds = Array(0..<kindCount)
        // A fresh subject per fact, so no question is answered by another fact's sentence.
        while facts.count + missing.count < planted + unanswerable {
            if kinds.isEmpty { kinds = Array(0..<kindCount) }
            let kind = kinds.remove(at: Int(generator.next() % UInt64(kinds.count)))
            let fact = make(kind: kind, generator: &generator)
            guard subjects.insert(fact.subject).inserted else { continue }
            if facts.count < planted { facts.append(fact) } else { missing.append(fact) }
        }
        let needles = facts.map { ($0.statement, Double(generator.next() % 1001) / 1000) }
        let header = "Here are some notes, kept among other writing."
        let text = Haystack.build(tokens: tokens, header: header, counts: prose, needles: needles)
        let questions = facts.map { QAQuestion(text: $0.question, references: [$0.answer]) }
            + missing.map { QAQuestion(text: $0.question, references: []) }
        return QADocument(text: text, questions: questions)
    }

    static let kindCount = 12

    static func make(kind: Int, generator g: inout SplitMix64) -> Fact {
        func pick(_ list: [String]) -> String { list[Int(g.next() % UInt64(list.count))] }
        func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(g.next() % UInt64(range.count)) }
        let person = pick(people)
        switch kind {
        case 0:
            let city = pick(cities)
            return Fact(
                subject: "0 " + person,
                statement: pick(["\(person) was born in \(city) in \(number(1931...2009)).", "\(person) was born in \(city), a long time ago."]),
                question: pick(["Where was \(person) born?", "In which city was \(person) born?", "What is the birthplace of \(person)?"]),
                answer: city)
        case 1:
            let room = pick(rooms)
            let code = String(number(1000...9999))
            return Fact(
                subject: "1 " + room,
                statement: pick(["The \(room) door code is \(code).", "The code for the \(room) door is \(code)."]),
                question: pick(["What is the code for the \(room) door?", "\(room) door code", "Tell me the \(room) door code."]),
                answer: code)
        case 2:
            let city = pick(cities)
            let time = "\(number(5...11)):\(pick(["05", "15", "20", "30", "45", "50"]))"
            // The question asks about the vehicle the statement names (a question about the
            // train is not answered by the bus's time), in the statement's verb or another.
            let (statement, question) = g.next() % 2 == 0
                ? ("The train to \(city) leaves at \(time) every morning.",
                    pick(["When does the train to \(city) leave?", "What time does the train to \(city) depart?"]))
                : ("The last bus to \(city) departs at \(time).",
                    pick(["What time does the last bus to \(city) depart?", "When does the last bus to \(city) leave?"]))
            return Fact(subject: "2 " + city, statement: statement, question: question, answer: time)
        case 3:
            let animal = pick(["cats", "dogs", "goats", "horses", "parrots", "rabbits", "sheep", "chickens"])
            let count = String(number(2...19))
            return Fact(
                subject: "3 " + person + animal,
                statement: pick(["\(person) has \(count) \(animal) on the farm.", "\(person) owns \(count) \(animal)."]),
                question: pick(["How many \(animal) does \(person) have?", "How many \(animal) does \(person) own?"]),
                answer: count)
        case 4:
            let item = pick(["lamp", "violin", "bicycle", "teapot", "clock", "saddle", "telescope", "kettle"])
            let price = String(number(12...950))
            return Fact(
                subject: "4 " + item,
                statement: pick(["The old \(item) costs \(price) dollars.", "The \(item) in the window costs $\(price)."]),
                question: pick(["How much does the old \(item) cost?", "How much is the \(item) in the window?", "What is the price of the \(item)?"]),
                answer: price)
        case 5:
            let colour = pick(["crimson", "teal", "ochre", "lilac", "indigo", "saffron", "emerald", "maroon"])
            return Fact(
                subject: "5 " + person,
                statement: pick(["\(person)'s favourite colour is \(colour).", "The favourite colour of \(person) is \(colour)."]),
                question: pick(["What is \(person)'s favourite colour?", "What is the favourite colour of \(person)?"]),
                answer: colour)
        case 6:
            let country = pick(countries)
            let city = pick(cities)
            return Fact(
                subject: "6 " + country,
                statement: pick(["The capital of \(country) is \(city).", "\(country)'s capital is \(city)."]),
                question: pick(["What is the capital of \(country)?", "Which city is the capital of \(country)?", "capital of \(country)"]),
                answer: city)
        case 7:
            let book = "The \(pick(["Silver", "Hollow", "Quiet", "Crimson", "Northern", "Last"])) \(pick(["Orchard", "Harbour", "Winter", "Lantern", "Kingdom", "Voyage"]))"
            let author = "\(pick(people)) \(pick(surnames))"
            return Fact(
                subject: "7 " + book,
                statement: pick(["\(book) was written by \(author).", "\(book) was written by \(author) in one summer."]),
                question: pick(["Who wrote \(book)?", "Who is the author of \(book)?"]),
                answer: author)
        case 8:
            let city = pick(cities)
            let year = String(number(1950...2024))
            return Fact(
                subject: "8 " + person,
                statement: pick(["\(person) moved to \(city) in \(year).", "In \(year), \(person) moved to \(city)."]),
                question: pick(["When did \(person) move to \(city)?", "In what year did \(person) move to \(city)?"]),
                answer: year)
        case 9:
            let system = pick(["mail", "bank", "server", "library", "archive", "garden"])
            let word = pick(["bluebird", "marmalade", "thunderbolt", "pinecone", "starfish", "woodpecker", "lighthouse", "buttercup"])
            return Fact(
                subject: "9 " + system,
                statement: pick(["The password for the \(system) account is \(word).", "The \(system) password is \(word)."]),
                question: pick(["What is the \(system) password?", "What's the password for the \(system) account?", "Tell me the password of the \(system) account."]),
                answer: word)
        case 10:
            let age = String(number(19...88))
            return Fact(
                subject: "10 " + person,
                statement: pick(["\(person) is \(age) years old.", "\(person) is \(age) years old this spring."]),
                question: pick(["How old is \(person)?", "What is the age of \(person)?"]),
                answer: age)
        default:
            let day = pick(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
            return Fact(
                subject: "11 " + person,
                statement: pick(["The meeting with \(person) is on \(day).", "The meeting with \(person) was moved to \(day)."]),
                question: pick(["When is the meeting with \(person)?", "On which day is the meeting with \(person)?"]),
                answer: day)
        }
    }

    static let people = [
        "Maria", "Jonas", "Amara", "Tomas", "Ingrid", "Kofi", "Lucia", "Mateo", "Sofia", "Henrik", "Yara", "Elias", "Nadia",
        "Oskar", "Priya", "Ruben", "Selma", "Tariq", "Vera", "Wendel", "Zora", "Anton", "Beatrix", "Casimir", "Dalia", "Emil",
        "Freya", "Gideon", "Hana", "Ivo",
    ]
    static let surnames = ["Albright", "Brandt", "Castillo", "Duarte", "Eriksen", "Fontaine", "Garrow", "Holm", "Ibarra", "Jovanovic"]
    static let cities = [
        "Lisbon", "Porto", "Tallinn", "Ghent", "Bergen", "Zagreb", "Lyon", "Krakow", "Seville", "Trieste", "Uppsala", "Valencia",
        "Bruges", "Dresden", "Galway", "Split", "Turin", "Aarhus", "Bilbao", "Riga",
    ]
    static let countries = ["Zorbia", "Quelland", "Vostrovia", "Marinth", "Eldoria", "Kestria", "Drumland", "Oberia"]
    static let rooms = ["garage", "cellar", "office", "studio", "kitchen", "workshop", "attic", "greenhouse"]
}
