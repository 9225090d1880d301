import MoMCore
import Testing

@testable import MoMAsk

/// Parsing reads the question word, the auxiliary, the body and any declarative tail.
@Suite struct QuestionTests {
    @Test func whQuestionWithAuxiliary() {
        let question = Question("Where was Maria born?")
        #expect(question.form == .wh)
        #expect(question.questionWord == "where")
        #expect(question.auxiliary == "was")
        #expect(question.body == ["Maria", "born"])
        #expect(question.answerType == .place)
    }

    @Test func twoWordQuestionWordsAndTypes() {
        #expect(Question("How many cats does Maria have?").answerType == .number)
        #expect(Question("How many cats does Maria have?").questionWord == "how many")
        #expect(Question("What time does the train leave?").answerType == .time)
        #expect(Question("When did Jonas move to Porto?").answerType == .time)
        #expect(Question("Who wrote The Silver Orchard?").answerType == .name)
        #expect(Question("What is the door code?").answerType == .code)
        #expect(Question("What is the capital of Zorbia?").answerType == .place)
        #expect(Question("What is the age of Lucia?").answerType == .number)
        #expect(Question("What is Selma's favourite colour?").answerType == .phrase)
    }

    @Test func aLeadingPrepositionKeepsTheQuestionWord() {
        let city = Question("In which city was Amara born?")
        #expect(city.form == .wh && city.questionWord == "which city" && city.answerType == .place)
        #expect(city.auxiliary == "was" && city.body == ["Amara", "born"])
        #expect(Question("On which day is the meeting with Vera?").answerType == .time)
        #expect(Question("In what year did Zora move to Uppsala?").answerType == .time)
        // A preposition that leads no question word stays part of the words.
        #expect(Question("in the garden shed").body == ["in", "the", "garden", "shed"])
    }

    @Test func contractionsCarryTheirAuxiliary() {
        let question = Question("What's the password for the mail account?")
        #expect(question.questionWord == "what")
        #expect(question.auxiliary == "is")
        #expect(question.body == ["the", "password", "for", "the", "mail", "account"])
    }

    @Test func requestsAndNounPhrases() {
        let request = Question("Please tell me the door code.")
        #expect(request.form == .request)
        #expect(request.body == ["the", "door", "code"])
        let phrase = Question("door code")
        #expect(phrase.form == .cue)
        #expect(phrase.body == ["door", "code"])
    }

    @Test func rulerQuestionLosesItsBoilerplateAndKeepsItsTail() {
        let question = Question(
            "What are all the special magic numbers for amber-falcon mentioned in the provided text? "
                + "The special magic numbers for amber-falcon mentioned in the provided text are")
        #expect(question.questionWord == "what")
        #expect(question.auxiliary == "are")
        #expect(question.body == ["the", "special", "magic", "numbers", "for", "amber-falcon"])
        #expect(question.tails == [["The", "special", "magic", "numbers", "for", "amber-falcon", "are"]])
    }

    @Test func nothingToRead() {
        #expect(Question("?!...").isEmpty)
        #expect(Question("   ").isEmpty)
        #expect(!Question("door code").isEmpty)
    }
}

/// The probe writer turns questions into the statements that would precede their answers.
@Suite struct ProbeWriterTests {
    func cues(_ text: String) -> [String] { ProbeWriter().probes(for: Question(text)).map(\.cue) }

    @Test func whereQuestionBecomesTheStatement() {
        #expect(cues("Where was Maria born?").contains("Maria was born in"))
    }

    @Test func doSupportInflectsTheVerb() {
        #expect(cues("When did the train leave?").contains("the train left at"))
        #expect(cues("How many cats does Maria have?").contains("Maria has"))
        #expect(cues("When does the train to Lisbon leave?").contains("the train to Lisbon leaves at"))
    }

    @Test func ofPhrasesAreReordered() {
        #expect(cues("What is the code for the door?").contains("door code is"))
        #expect(cues("What is the capital of Zorbia?").contains("the capital of Zorbia is"))
    }

    @Test func subjectQuestionsTurnPassive() {
        #expect(cues("Who wrote The Silver Orchard?").contains("The Silver Orchard was written by"))
    }

    @Test func aCueIsReadAsItIs() {
        let probes = ProbeWriter().probes(for: Question("The pass key is"))
        #expect(probes.first == Probe(cue: "The pass key is", rewrite: "cue"))
    }

    @Test func listsBecomeOneProbeSetPerItem() {
        let probes = ProbeWriter().probes(
            for: Question("What are all the special magic numbers for amber-falcon, quiet-river, and bold-anchor mentioned in the provided text?"))
        #expect(Set(probes.compactMap(\.item)) == ["amber-falcon", "quiet-river", "bold-anchor"])
        #expect(probes.contains { $0.cue.hasSuffix("numbers for quiet-river is:") && $0.item == "quiet-river" })
    }

    /// The byte-wise key of an ASCII cue is the one Unicode's character properties give.
    @Test func asciiReadKeyEqualsTheUnicodeOne() {
        var generator = SplitMix64(seed: 41)
        let pieces = ["The", "door", "CODE", "is:", "4711", "amber-falcon", " ", "  ", "\t", "\r\n", "\n", ".", "?", "'s", "x\u{1F}y", "\u{0B}", "a,b"]
        for _ in 0..<300 {
            let cue = (0..<Int.random(in: 0...9, using: &generator)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &generator)] }
                .joined(separator: Bool.random(using: &generator) ? " " : "")
            #expect(ProbeWriter.asciiReadKey(cue) == ProbeWriter.unicodeReadKey(cue), "\(cue.debugDescription)")
        }
        #expect(ProbeWriter.readKey("Où est la clé?") == ["est", "la", "clé", "?"])
    }

    @Test func readKeyIsTheLastFourTokens() {
        #expect(ProbeWriter.readKey("The special magic numbers for amber-falcon is:") == ["-", "falcon", "is", ":"])
    }
}

/// Inflection knows the irregular verbs and the regular rules.
@Suite struct InflectionTests {
    @Test(arguments: [("leave", "left", "left"), ("write", "wrote", "written"), ("move", "moved", "moved"), ("carry", "carried", "carried")])
    func pastAndParticiple(base: String, past: String, participle: String) {
        #expect(Inflection.past(base) == past)
        #expect(Inflection.participle(base) == participle)
        #expect(Inflection.participle(past) == participle)
    }

    @Test func thirdPersonAndNumber() {
        #expect(Inflection.thirdPerson("have") == "has")
        #expect(Inflection.thirdPerson("carry") == "carries")
        #expect(Inflection.thirdPerson("leave") == "leaves")
        #expect(Inflection.otherNumber("numbers") == "number")
        #expect(Inflection.otherNumber("city") == "cities")
        #expect(Inflection.otherNumber("boxes") == "box")
    }
}
