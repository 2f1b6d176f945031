#!/usr/bin/env python3
"""Generate the peoplectl demo tenant (Contoso) in assets/demo/.

How to rerun (Python 3.8+, standard library only):

    python3 assets/demo/generate.py           # rewrite every seed file, then run the self-check
    python3 assets/demo/generate.py --check   # write nothing: regenerate in memory, run the self-check,
                                              # and fail if any committed file differs byte for byte
    python3 assets/demo/generate.py --summary # rewrite, check, and print who is in which story group

The output is deterministic: one fixed random seed, GUIDs derived with uuid5 from fixed names, no clock, no
set iteration. Rerunning gives byte-identical files. The format of every file is the contract in README.md
(next to this script); the emulator embeds the generated files, not this script.

The special people (the ones the README's demo story names) are listed explicitly in SPECIALS below; everyone
else is drawn from the name pools with the fixed seed. Changing a pool, a team size or the seed reshuffles the
random people, so rerun and re-read the story section of README.md if you do.
"""

import csv
import hashlib
import io
import json
import os
import re
import sys
import unicodedata
import uuid
import random
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261101
DOMAIN = "contoso.com"
BASE_TIME = "2026-11-01T09:00:00Z"
NS = uuid.UUID("6f1c1a52-3c8e-4a51-9a4e-2d0b5c8f7e10")  # namespace for every derived GUID

# The export (hr-export.csv via hr-mapping.toml) has no proficiency column; the items still carry a proficiency
# per skill, as a Workday-fed connector would. Set to False to emit skills with displayName only.
SKILL_PROFICIENCY_IN_ITEMS = True

ENTRA_SOURCE_ID = "4ce763dd-9214-4eff-af7c-da491cc3782d"
ORGDATA_SOURCE_ID = "7986c642-b494-4140-8df4-f5ed125e2c67"
PROFICIENCIES = ["elementary", "limitedWorking", "generalProfessional", "advancedProfessional", "expert"]


def gid(*parts):
    """A fixed GUID for a name."""
    return str(uuid.uuid5(NS, "/".join(parts)))


# ----------------------------------------------------------------------------------------------------------
# Offices
# ----------------------------------------------------------------------------------------------------------

OFFICES = {
    "Seattle - Building 4": dict(city="Seattle", state="WA", country="United States", usage="US", lang="en-US",
                                 phone="us", areas=["206", "425"], mob_areas=["206", "253", "360"]),
    "Seattle - Building 7": dict(city="Seattle", state="WA", country="United States", usage="US", lang="en-US",
                                 phone="us", areas=["425", "206"], mob_areas=["425", "253", "360"]),
    "New York - Hudson Yards": dict(city="New York", state="NY", country="United States", usage="US", lang="en-US",
                                    phone="us", areas=["212", "646"], mob_areas=["917", "347"]),
    "London - Paddington": dict(city="London", state="England", country="United Kingdom", usage="GB",
                                lang="en-GB", phone="gb"),
    "Munich": dict(city="Munich", state="Bavaria", country="Germany", usage="DE", lang="de-DE", phone="de"),
    "Bangalore": dict(city="Bengaluru", state="Karnataka", country="India", usage="IN", lang="en-IN", phone="in"),
    "Sydney": dict(city="Sydney", state="NSW", country="Australia", usage="AU", lang="en-AU", phone="au"),
}
SEA4, SEA7, NYC, LON, MUC, BLR, SYD = list(OFFICES)


class Phones:
    """Unique, plausible (mostly reserved-for-fiction) numbers per country."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def _draw(self, make):
        for _ in range(10000):
            n = make()
            if n not in self.used:
                self.used.add(n)
                return n
        raise RuntimeError("phone space exhausted")

    def business(self, office):
        o, r = OFFICES[office], self.rng
        kind = o["phone"]
        if kind == "us":
            return self._draw(lambda: "+1 %s 555 01%02d" % (r.choice(o["areas"]), r.randrange(100)))
        if kind == "gb":
            return self._draw(lambda: "+44 20 7946 0%03d" % r.randrange(1000))
        if kind == "de":
            return self._draw(lambda: "+49 89 2019 4%03d" % r.randrange(1000))
        if kind == "in":
            return self._draw(lambda: "+91 80 4719 %04d" % r.randrange(10000))
        if kind == "au":
            return self._draw(lambda: "+61 2 5550 %04d" % r.randrange(10000))
        raise ValueError(kind)

    def mobile(self, office):
        o, r = OFFICES[office], self.rng
        kind = o["phone"]
        if kind == "us":
            return self._draw(lambda: "+1 %s 555 01%02d" % (r.choice(o["mob_areas"]), r.randrange(100)))
        if kind == "gb":
            return self._draw(lambda: "+44 7700 900%03d" % r.randrange(1000))
        if kind == "de":
            return self._draw(lambda: "+49 151 2%03d %04d" % (r.randrange(1000), r.randrange(10000)))
        if kind == "in":
            return self._draw(lambda: "+91 98%03d %05d" % (r.randrange(1000), r.randrange(100000)))
        if kind == "au":
            return self._draw(lambda: "+61 491 570 %03d" % r.randrange(6, 160))
        raise ValueError(kind)


# ----------------------------------------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------------------------------------

POOLS = {
    "us": (["James", "Mary", "Michael", "Jennifer", "David", "Sarah", "Chris", "Emily", "Daniel", "Jessica",
            "Ryan", "Ashley", "Kevin", "Megan", "Brian", "Lauren", "Tyler", "Hannah", "Jordan", "Taylor",
            "Marcus", "Keisha", "Andre", "Tanya", "Darnell", "Ethan", "Olivia", "Nathan", "Rachel", "Brandon",
            "Courtney", "Derek", "Monique", "Travis", "Heather", "Caleb", "Brittany", "Justin", "Amber"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Thomas",
            "Jackson", "White", "Harris", "Martin", "Thompson", "Robinson", "Clark", "Lewis", "Walker", "Hall",
            "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Mitchell", "Roberts",
            "Turner", "Phillips", "Campbell", "Parker", "Collins", "Stewart", "Morris", "Reed", "Cook", "Bell",
            "Bailey", "Cooper", "Howard", "Ward", "Brooks", "Washington", "Hayes", "Sullivan", "Fletcher"]),
    "gb": (["Oliver", "Amelia", "Harry", "Isla", "George", "Poppy", "Charlotte", "Alfie", "Freya", "Callum",
            "Niamh", "Ciarán", "Eilidh", "Rhys", "Gareth", "Bethan", "Imogen", "Rory", "Fiona", "Declan",
            "Hamish", "Aoife", "Seren", "Toby", "Harriet", "Angus", "Sinéad", "Owen", "Philippa", "Euan"],
           ["Taylor", "Davies", "Evans", "Hughes", "Lloyd", "Walsh", "Byrne", "Kelly", "O'Connor", "MacDonald",
            "Fraser", "Morgan", "Griffiths", "Bennett", "Clarke", "Doyle", "Gallagher", "McAllister", "Pritchard",
            "Ashworth", "Hargreaves", "Whitfield", "Kennedy", "Quinn", "Robertson", "Sutherland", "Llewellyn"]),
    "de": (["Lukas", "Anna", "Jonas", "Lena", "Felix", "Sophie", "Maximilian", "Marie", "Tobias", "Jürgen",
            "Birgit", "Stefan", "Sabine", "Matthias", "Anja", "Florian", "Franziska", "Sebastian", "Ulrike",
            "Moritz", "Johanna", "Henrik", "Annika", "Dominik", "Carolin"],
           ["Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch",
            "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
            "Krüger", "Hartmann", "Lange", "Weiß", "Köhler", "Huber", "Brandt", "Lorenz"]),
    "in": (["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Kavya", "Arjun", "Divya", "Rahul", "Sneha",
            "Aditya", "Pooja", "Karthik", "Lakshmi", "Siddharth", "Meera", "Rajesh", "Deepika", "Sanjay", "Nisha",
            "Harish", "Shreya", "Varun", "Anjali", "Naveen", "Ishita", "Gautam", "Swathi", "Abhishek", "Keerthi",
            "Manoj", "Ritu", "Suresh", "Bhavana"],
           ["Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Rao", "Krishnan", "Menon", "Singh", "Kumar",
            "Joshi", "Mehta", "Desai", "Chatterjee", "Banerjee", "Pillai", "Subramanian", "Venkatesh", "Agarwal",
            "Kapoor", "Bhat", "Hegde", "Shetty", "Srinivasan", "Natarajan", "Kulkarni", "Das", "Ghosh"]),
    "cn": (["Wei", "Jing", "Hao", "Xin", "Yan", "Jun", "Ming", "Lei", "Fang", "Yu", "Xiaoling", "Jian",
            "Yifan", "Ling", "Zhiwei", "Huan"],
           ["Wang", "Li", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Lin", "Guo", "He"]),
    "jp": (["Yuki", "Haruto", "Sakura", "Aiko", "Takashi", "Emi", "Ren", "Naoko", "Daisuke", "Yui", "Sota"],
           ["Suzuki", "Sato", "Takahashi", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida",
            "Matsumoto"]),
    "kr": (["Min-jun", "Seo-yeon", "Hyun-woo", "Ji-hoon", "Soo-jin", "Eun-ji", "Dong-hyun", "Ha-eun"],
           ["Kim", "Lee", "Choi", "Jung", "Kang", "Cho", "Yoon", "Han"]),
    "vn": (["Minh", "Linh", "Thao", "Quang", "Huong", "Duc", "Trang", "Khanh"],
           ["Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui"]),
    "es": (["José", "María", "Alejandro", "Sofía", "Carlos", "Lucía", "Diego", "Valentina", "Javier", "Camila",
            "Gabriela", "Andrés", "Isabel", "Fernando", "Paula", "Ricardo", "Daniela", "Luis", "Ximena"],
           ["García", "Rodríguez", "Hernández", "López", "González", "Pérez", "Sánchez", "Torres", "Flores",
            "Rivera", "Gómez", "Díaz", "Morales", "Ortiz", "Castillo", "Vargas", "Jiménez", "Ruiz", "Mendoza"]),
    "br": (["João", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Thiago", "Larissa", "Rafael", "Juliana"],
           ["Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Carvalho", "Gonçalves",
            "Ribeiro"]),
    "fr": (["Camille", "Louis", "Hugo", "Léa", "Antoine", "Manon", "Mathilde", "Julien", "Élodie", "Baptiste"],
           ["Lefèvre", "Moreau", "Laurent", "Girard", "Bonnet", "Rousseau", "Fontaine", "Mercier", "Lambert",
            "Chevalier"]),
    "it": (["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Elena", "Matteo", "Federica"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "D'Angelo",
            "Greco"]),
    "ng": (["Chinedu", "Adaeze", "Folake", "Kofi", "Ama", "Abena", "Tunde", "Yetunde", "Chiamaka", "Kwabena",
            "Efua", "Obinna"],
           ["Okonkwo", "Balogun", "Asante", "Owusu", "Boateng", "Eze", "Adebayo", "Ogunleye", "Appiah", "Nnamdi"]),
    "ke": (["Wanjiru", "Otieno", "Achieng", "Kamau", "Njeri", "Mwangi", "Akinyi", "Kipchoge"],
           ["Odhiambo", "Wanjiku", "Kiprono", "Chebet", "Mutua", "Ochieng"]),
    "ar": (["Omar", "Fatima", "Ahmed", "Layla", "Youssef", "Nour", "Karim", "Rania", "Tariq", "Amira", "Sami"],
           ["Khalil", "Mansour", "Aziz", "Hassan", "Saleh", "El-Amin", "Haddadin", "Qureshi", "Rahman"]),
    "tr": (["Emre", "Elif", "Mehmet", "Zeynep", "Can", "Ayşe", "Burak", "Selin", "Deniz"],
           ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Aydın", "Öztürk", "Arslan"]),
    "pl": (["Łukasz", "Agnieszka", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Marta"],
           ["Nowak", "Wójcik", "Kowalczyk", "Mazur", "Krawczyk", "Zając", "Król", "Wieczorek"]),
    "nordic": (["Søren", "Ingrid", "Astrid", "Erik", "Sigrid", "Mikael", "Freja", "Maja", "Henrik", "Linnea"],
               ["Andersen", "Johansson", "Nielsen", "Lindqvist", "Hansen", "Østergaard", "Lindgren", "Eriksen"]),
    "nl": (["Sanne", "Sem", "Fleur", "Bram", "Lotte", "Joris", "Femke"],
           ["de Vries", "van Dijk", "Bakker", "Jansen", "Visser", "de Jong", "Smit"]),
    "ua": (["Olena", "Oksana", "Andriy", "Iryna", "Taras", "Yulia", "Dmytro"],
           ["Kovalenko", "Bondarenko", "Tkachenko", "Melnyk", "Kravchenko", "Boyko", "Marchenko"]),
    "ph": (["Angelica", "Paolo", "Kristine", "Jerome", "Bea", "Miguel", "Carmela"],
           ["Reyes", "Cruz", "Bautista", "Villanueva", "Aquino", "dela Rosa", "Santiago"]),
    "il": (["Noa", "Yael", "Itai", "Tamar", "Omri", "Lior"],
           ["Cohen", "Levi", "Mizrahi", "Friedman", "Ben-David", "Peretz"]),
    "mi": (["Aroha", "Tāne", "Mere", "Wiremu", "Ngaio"],
           ["Ngata", "Parata", "Walker", "Tipene", "Rangi"]),
}

CULTURE_WEIGHTS = {
    "us": dict(us=40, es=9, cn=7, **{"in": 9}, kr=3, jp=3, vn=3, ph=3, ng=3, ar=3, gb=3, de=2, fr=2, it=2,
               nordic=1, pl=2, ua=2, il=2, br=2, tr=1, ke=1),
    "gb": dict(gb=38, us=3, **{"in": 10}, ng=7, ke=2, pl=4, fr=4, it=4, es=3, de=3, nordic=2, nl=2, ar=4, cn=3,
               tr=2, ua=2, br=2, il=1),
    "de": dict(de=50, tr=9, pl=6, it=4, fr=3, es=2, nordic=3, nl=3, ua=3, gb=2, **{"in": 4}, cn=3, ar=3, us=2),
    "in": {"in": 92, "us": 2, "gb": 2, "cn": 1, "ar": 2},
    "au": dict(gb=30, us=6, cn=10, vn=6, **{"in": 8}, mi=5, ph=5, kr=4, jp=3, it=3, es=2, ar=2, nordic=2),
}


def translit(s):
    """ASCII for a UPN: German umlauts as ae/oe/ue, other marks dropped, ø/æ/ł/ı/ß spelled out."""
    s = (s.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("Ä", "Ae").replace("Ö", "Oe")
         .replace("Ü", "Ue").replace("ß", "ss").replace("ø", "o").replace("Ø", "O").replace("æ", "ae")
         .replace("ł", "l").replace("Ł", "L").replace("ı", "i").replace("đ", "d"))
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c))


def upn_part(name, german_style):
    """One half of first.last: lowercase ASCII, spaces and apostrophes removed, hyphens kept."""
    if not german_style:
        name = unicodedata.normalize("NFKD", name.replace("ø", "o").replace("Ø", "O").replace("æ", "ae")
                                     .replace("ł", "l").replace("Ł", "L").replace("ı", "i").replace("ß", "ss"))
        name = "".join(c for c in name if not unicodedata.combining(c))
    else:
        name = translit(name)
    name = name.lower().replace(" ", "").replace("'", "").replace("\u2019", "")
    assert re.fullmatch(r"[a-z0-9-]+", name), name
    return name


def item_id_for_upn(upn):
    """README "Item ids" rule (the Rust twin is people::item::item_id_for_upn)."""
    low = upn.lower()
    out = []
    for ch in low:
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
        elif ch == "@":
            out.append("_at_")
        elif ch == ".":
            out.append("_dot_")
        elif ch == "-":
            out.append("_dash_")
        else:
            out.append("_x" + ch.encode("utf-8").hex() + "_")
    rid = "".join(out)
    if len(rid) > 128:
        rid = rid[:100] + "_" + hashlib.sha256(low.encode("utf-8")).hexdigest()[:16]
    return rid


# ----------------------------------------------------------------------------------------------------------
# Organisation: departments, teams, titles, skills
# ----------------------------------------------------------------------------------------------------------

COST_CENTERS = {
    "Executive": "CC1000", "Engineering": "CC1100", "Research": "CC1200", "Sales": "CC2100",
    "Marketing": "CC2200", "Customer Success": "CC2300", "Finance": "CC3100", "HR": "CC3200",
    "Legal": "CC3300", "Operations": "CC4100", "IT": "CC4200",
}

SKILLS = {
    "Executive": ["Strategic planning", "Leadership", "Board relations", "Public speaking", "Change management"],
    "Engineering": ["Rust", "C#", "TypeScript", "Kubernetes", "Microsoft Azure", "Distributed systems", "Go",
                    "Python", "SQL", "React", "CI/CD", "Observability", "API design", "Test automation"],
    "Research": ["Machine learning", "Statistics", "PyTorch", "Experimental design", "Computer vision",
                 "Scientific writing", "Natural language processing", "Python", "Data visualization"],
    "Sales": ["Negotiation", "Salesforce", "Enterprise sales", "Account planning", "Forecasting",
              "Solution selling", "Pipeline management", "Contract negotiation"],
    "Marketing": ["SEO", "Content strategy", "Brand management", "Market research", "Google Analytics",
                  "Copywriting", "Event planning", "Product positioning", "Adobe Creative Cloud"],
    "Customer Success": ["Customer onboarding", "Zendesk", "Technical support", "Renewals",
                         "Customer advocacy", "Troubleshooting", "Microsoft 365", "Escalation management"],
    "Finance": ["Financial modeling", "IFRS", "US GAAP", "SAP S/4HANA", "Excel", "Budgeting", "Tax compliance",
                "Accounts payable", "Payroll"],
    "HR": ["Workday", "Talent acquisition", "Employee relations", "Compensation", "Onboarding", "HR analytics",
           "Benefits administration", "Interviewing"],
    "Legal": ["Contract law", "GDPR", "Privacy", "Mergers and acquisitions", "Intellectual property",
              "Compliance", "Employment law"],
    "Operations": ["Supply chain", "Procurement", "Lean", "Vendor management", "Logistics",
                   "Facilities management", "Health and safety"],
    "IT": ["Microsoft Entra ID", "Intune", "PowerShell", "Microsoft 365 administration", "Networking",
           "Security operations", "ITIL", "Microsoft Sentinel", "Identity governance"],
}

# title -> title one step up (used for "HR knows about the promotion, Entra does not")
PROMOTIONS = {
    "Software Engineer": "Senior Software Engineer", "Software Engineer II": "Senior Software Engineer",
    "Senior Software Engineer": "Principal Software Engineer", "Account Executive": "Senior Account Executive",
    "Sales Development Representative": "Account Executive", "Financial Analyst": "Senior Financial Analyst",
    "Accountant": "Senior Accountant", "Recruiter": "Senior Recruiter", "Support Engineer": "Senior Support Engineer",
    "Research Scientist": "Senior Research Scientist", "Data Scientist": "Senior Data Scientist",
    "Marketing Analyst": "Senior Marketing Analyst", "Systems Administrator": "Senior Systems Administrator",
    "Service Desk Analyst": "IT Support Specialist", "Operations Analyst": "Senior Operations Analyst",
    "Paralegal": "Senior Paralegal", "HR Generalist": "HR Business Partner", "Security Analyst": "Senior Security Analyst",
    "Customer Success Manager": "Senior Customer Success Manager", "Product Manager": "Senior Product Manager",
    "Research Engineer": "Senior Research Engineer", "Facilities Coordinator": "Workplace Experience Lead",
    "Site Reliability Engineer": "Senior Site Reliability Engineer", "Content Strategist": "Senior Content Strategist",
}
DEMOTIONS = {v: k for k, v in reversed(list(PROMOTIONS.items()))}


def T(title, office, n=0, ics=(), kids=()):
    """A manager node: `n` random reports drawn from `ics` [(title, weight)], plus sub-managers `kids`."""
    return dict(title=title, office=office, n=n, ics=list(ics), kids=list(kids))


SWE = [("Software Engineer", 4), ("Senior Software Engineer", 3), ("Software Engineer II", 2),
       ("Principal Software Engineer", 1)]
ORG = {
    "Engineering": T("VP of Engineering", SEA4, kids=[
        T("Director of Engineering", SEA4, kids=[
            T("Engineering Manager", SEA4, 7, SWE),
            T("Engineering Manager", SEA4, 6, SWE),
            T("Engineering Manager", SEA7, 6, [("Site Reliability Engineer", 3), ("Senior Site Reliability Engineer", 1),
                                              ("Software Engineer", 1)]),
            T("Engineering Manager", NYC, 5, SWE),
        ]),
        T("Director of Engineering", BLR, kids=[
            T("Engineering Manager", BLR, 7, SWE),
            T("Engineering Manager", BLR, 6, [("QA Engineer", 2), ("Software Engineer", 3), ("Senior Software Engineer", 1)]),
            T("Engineering Manager", LON, 6, SWE),
        ]),
        T("Director of Product Management", SEA4, 5, [("Product Manager", 3), ("Senior Product Manager", 2)]),
    ]),
    "Sales": T("Chief Revenue Officer", NYC, kids=[
        T("Regional Sales Director, North America", NYC, kids=[
            T("Sales Manager", NYC, 7, [("Account Executive", 3), ("Senior Account Executive", 2),
                                        ("Sales Development Representative", 2)]),
            T("Sales Manager", SEA7, 5, [("Account Executive", 3), ("Sales Development Representative", 1),
                                         ("Solutions Engineer", 1)]),
        ]),
        T("Regional Sales Director, EMEA", LON, kids=[
            T("Sales Manager", LON, 6, [("Account Executive", 3), ("Senior Account Executive", 1),
                                        ("Sales Development Representative", 2)]),
            T("Sales Manager", MUC, 4, [("Account Executive", 3), ("Solutions Engineer", 1)]),
        ]),
        T("Regional Sales Director, APAC", SYD, kids=[
            T("Sales Manager", SYD, 5, [("Account Executive", 3), ("Sales Development Representative", 2)]),
            T("Sales Manager", BLR, 4, [("Account Executive", 2), ("Solutions Engineer", 2)]),
        ]),
        T("Sales Operations Manager", SEA7, 3, [("Sales Operations Analyst", 1)]),
    ]),
    "Marketing": T("VP of Marketing", SEA4, kids=[
        T("Director, Product Marketing", SEA4, 5, [("Product Marketing Manager", 4), ("Marketing Analyst", 1)]),
        T("Marketing Manager", LON, 4, [("Digital Marketing Specialist", 2), ("Content Strategist", 2),
                                        ("Events Coordinator", 1)]),
        T("Creative Director", NYC, 4, [("Brand Designer", 2), ("Copywriter", 2), ("Content Strategist", 1)]),
        T("Marketing Operations Manager", SEA4, 3, [("Marketing Analyst", 2), ("Marketing Operations Specialist", 1)]),
    ]),
    "Finance": T("Chief Financial Officer", NYC, kids=[
        T("Corporate Controller", NYC, 5, [("Senior Accountant", 2), ("Accountant", 2), ("Accounts Payable Specialist", 2)]),
        T("Director, Financial Planning & Analysis", SEA4, 4, [("Financial Analyst", 3), ("Senior Financial Analyst", 2)]),
        T("Payroll Manager", LON, 3, [("Payroll Specialist", 1)]),
        T("Tax Manager", LON, 2, [("Tax Analyst", 1)]),
    ]),
    "HR": T("Chief People Officer", SEA4, kids=[
        T("Talent Acquisition Manager", SEA4, 5, [("Recruiter", 3), ("Senior Recruiter", 1), ("Recruiting Coordinator", 1)]),
        T("Head of HR Operations", LON, 5, [("HR Generalist", 2), ("HR Business Partner", 2), ("HRIS Analyst", 1)]),
        T("Compensation & Benefits Manager", SEA4, 3, [("Compensation Analyst", 2), ("Benefits Specialist", 1)]),
        T("HR Manager, India", BLR, 3, [("HR Generalist", 2), ("Recruiter", 1)]),
    ]),
    "Legal": T("General Counsel", SEA4, kids=[
        T("Associate General Counsel", SEA4, 3, [("Corporate Counsel", 2), ("Paralegal", 1), ("Contracts Manager", 1)]),
        T("Associate General Counsel, Privacy", LON, 2, [("Privacy Counsel", 1), ("Paralegal", 1)]),
    ]),
    "Operations": T("VP of Operations", SEA7, kids=[
        T("Facilities Manager", SEA7, 5, [("Facilities Coordinator", 3), ("Workplace Experience Lead", 1)]),
        T("Supply Chain Manager", SEA7, 5, [("Procurement Specialist", 2), ("Logistics Coordinator", 2),
                                            ("Operations Analyst", 1)]),
        T("Operations Manager, EMEA", LON, 3, [("Operations Analyst", 2), ("Facilities Coordinator", 2)]),
        T("Operations Manager, APAC", SYD, 3, [("Operations Analyst", 1), ("Facilities Coordinator", 1),
                                               ("Procurement Specialist", 1)]),
        T("Operations Manager, India", BLR, 3, [("Operations Analyst", 2), ("Facilities Coordinator", 1)]),
    ]),
    "Customer Success": T("VP of Customer Success", LON, kids=[
        T("Director, Customer Success", SEA7, 6, [("Customer Success Manager", 4), ("Senior Customer Success Manager", 1),
                                                  ("Onboarding Specialist", 1)]),
        T("Support Manager", SYD, 5, [("Support Engineer", 4), ("Senior Support Engineer", 2)]),
        T("Support Manager", BLR, 6, [("Support Engineer", 4), ("Senior Support Engineer", 1), ("Technical Account Manager", 1)]),
        T("Director, Customer Success EMEA", LON, 4, [("Customer Success Manager", 2), ("Technical Account Manager", 1)]),
    ]),
    "IT": T("Chief Information Officer", SEA4, kids=[
        T("IT Manager", SEA4, 5, [("Systems Administrator", 2), ("Service Desk Analyst", 2), ("Cloud Engineer", 1),
                                  ("Identity Engineer", 1)]),
        T("Security Operations Manager", SEA4, 4, [("Security Analyst", 3), ("Senior Security Analyst", 1)]),
        T("IT Manager", BLR, 5, [("Service Desk Analyst", 3), ("Systems Administrator", 2)]),
        T("IT Manager", LON, 2, [("Service Desk Analyst", 2), ("Systems Administrator", 1)]),
    ]),
    "Research": T("VP of Research", MUC, kids=[
        T("Research Director", MUC, kids=[
            T("Research Manager", MUC, 5, [("Research Scientist", 3), ("Senior Research Scientist", 2), ("Lab Technician", 1)]),
            T("Research Manager", MUC, 4, [("Research Engineer", 3), ("Research Scientist", 2)]),
        ]),
        T("Research Manager", SEA4, 5, [("Data Scientist", 2), ("Research Scientist", 2), ("Research Engineer", 1)]),
        T("Research Manager", BLR, 5, [("Data Scientist", 3), ("Research Engineer", 2)]),
    ]),
}

# Explicitly placed people. keys: g/s = given/surname, dept, title (Entra), office; optional:
#   upn (override), case (story group), hr_title (str, "" or "OMIT"), hr_dept, entra_title_null, entra_dept_null,
#   no_mailbox, disabled, contractor, recent ("csvnew" / "bad:<kind>"), csv_change, hr_mobile_changed,
#   talent ("seed" / "stale" / title), company
SPECIALS = [
    dict(key="admin", g="Priya", s="Raman", dept="IT", title="People Administrator", office=SEA4),
    # A: HR (Workday) title differs from Entra; HR ranks first, so HR wins
    dict(key="alex", g="Alex", s="Wilber", dept="Engineering", title="Software Engineer", office=SEA4,
         case="A", hr_title="Senior Software Engineer", talent="seed"),
    dict(g="Adele", s="Vance", dept="Marketing", title="Product Marketing Manager", office=SEA4, case="A",
         hr_title="Senior Product Marketing Manager", talent="stale"),
    dict(g="Kwame", s="Mensah", dept="Sales", title="Account Executive", office=LON, case="A",
         hr_title="Senior Account Executive", talent="stale"),
    dict(g="Ananya", s="Iyer", dept="Research", title="Data Scientist", office=BLR, case="A",
         hr_title="Senior Data Scientist", talent="stale"),
    # B: HR title is "" -> an empty string is a value and hides Entra's title
    dict(g="Tomás", s="Herrera", dept="Operations", title="Operations Analyst", office=SEA7, case="B", hr_title=""),
    dict(g="Mei", s="Chen", dept="Finance", title="Financial Analyst", office=SEA4, case="B", hr_title=""),
    dict(g="Oluwaseun", s="Adeyemi", dept="Customer Success", title="Technical Account Manager", office=LON,
         case="B", hr_title=""),
    # C: HR position has no jobTitle -> absent is not a value, Entra's title wins
    dict(g="Lars", s="Halvorsen", dept="IT", title="Systems Administrator", office=LON, case="C", hr_title="OMIT"),
    dict(g="Fatima", s="Haddad", dept="Legal", title="Corporate Counsel", office=LON, case="C", hr_title="OMIT"),
    dict(g="Hiroshi", s="Tanaka", dept="Engineering", title="Site Reliability Engineer", office=SEA7, case="C",
         hr_title="OMIT"),
    # D: department differs (HR moved them, Entra not updated)
    dict(g="Sofía", s="Martínez", dept="Marketing", title="Sales Enablement Specialist", office=NYC, case="D",
         hr_dept="Sales"),
    dict(g="Rohan", s="Mehta", dept="Engineering", title="Software Engineer", office=BLR, case="D", hr_dept="Research"),
    dict(g="Ngozi", s="Okafor", dept="Operations", title="Onboarding Specialist", office=LON, case="D",
         hr_dept="Customer Success"),
    dict(g="Björn", s="Karlsson", dept="IT", title="Cloud Engineer", office=LON, case="D", hr_dept="Engineering"),
    # E: Entra has no jobTitle / no department; HR fills the gap
    dict(g="Isabel", s="Rodríguez", dept="Legal", title="Paralegal", office=SEA4, case="E", entra_title_null=True),
    dict(g="Kenji", s="Watanabe", dept="Engineering", title="Software Engineer II", office=SEA4, case="E",
         entra_title_null=True),
    dict(g="Grace", s="Mitchell", dept="Finance", title="Senior Accountant", office=NYC, case="E", entra_dept_null=True),
    dict(g="Arjun", s="Nair", dept="Customer Success", title="Support Engineer", office=BLR, case="E",
         entra_dept_null=True),
    # F: nobody above Talent Hub has a title -> the preview-era connector wins
    dict(g="Chloé", s="Dubois", dept="Marketing", title="Brand Designer", office=LON, case="F",
         entra_title_null=True, hr_title="OMIT", talent="Brand Designer"),
    dict(g="Emeka", s="Nwosu", dept="Operations", title="Procurement Specialist", office=SEA7, case="F",
         entra_title_null=True, hr_title="OMIT", talent="Procurement Specialist"),
    # G: contractor without a mailbox: the service ignores his contosohr item
    dict(g="Mykola", s="Shevchenko", dept="Engineering", title="Software Engineer", office=LON, case="G",
         contractor=True, no_mailbox=True, hr_title="Senior Software Engineer"),
    # names that test the plumbing
    dict(key="zoe", g="Zoë", s="Müller", dept="Research", title="Senior Research Scientist", office=MUC, talent="stale"),
    dict(key="siobhan", g="Siobhán", s="O'Brien", dept="Sales", title="Senior Account Executive", office=LON,
         hr_mobile_changed=True, talent="stale"),
    dict(key="hyphen", g="Anna-Lena", s="Schmidt-Weber", dept="Research", title="Research Engineer", office=MUC),
    dict(key="daan", g="Daan", s="van der Berg", dept="Customer Success", title="Customer Success Manager",
         office=LON, hr_mobile_changed=True),
    dict(g="Javier", s="de la Cruz", dept="Sales", title="Solutions Engineer", office=NYC),
    dict(key="wei1", g="Wei", s="Zhang", dept="Engineering", title="Senior Software Engineer", office=SEA4),
    dict(key="wei2", g="Wei", s="Zhang", dept="Customer Success", title="Support Engineer", office=SYD),
    # rows that changed in tonight's export
    dict(g="Jasmine", s="Carter", dept="Sales", title="Sales Development Representative", office=NYC,
         csv_change=dict(title="Account Executive")),
    dict(g="Rahul", s="Gupta", dept="Customer Success", title="Support Engineer", office=BLR,
         csv_change=dict(title="Solutions Engineer", dept="Sales")),
    dict(g="Katharina", s="Vogel", dept="Research", title="Research Scientist", office=MUC,
         csv_change=dict(title="Senior Research Scientist")),
    # a leaver: account disabled, still in the legacy Talent Hub
    dict(g="Gregory", s="Lane", dept="Sales", title="Account Executive", office=NYC, disabled=True, talent="stale"),
    # recent hires, no contosohr item yet: valid rows in the export
    dict(g="Łucja", s="Wróblewska", dept="Marketing", title="Content Strategist", office=LON, recent="csvnew"),
    dict(g="Mateo", s="Ramírez", dept="Engineering", title="Software Engineer", office=SEA4, recent="csvnew"),
    dict(g="Aroha", s="Ngata", dept="Customer Success", title="Support Engineer", office=SYD, recent="csvnew"),
    dict(g="Samuel", s="Osei", dept="Finance", title="Accountant", office=LON, recent="csvnew"),
    dict(g="Ji-woo", s="Park", dept="Research", title="Data Scientist", office=SEA4, recent="csvnew"),
    # recent hires whose rows in the export are bad
    dict(g="Théo", s="Fontaine", dept="Sales", title="Sales Development Representative", office=LON,
         recent="bad:missing_email"),
    dict(g="Ingrid", s="Berg", dept="IT", title="Service Desk Analyst", office=LON, recent="bad:malformed_email"),
    dict(g="Omar", s="Farouk", dept="Engineering", title="Software Engineer", office=LON, recent="bad:bad_date"),
    dict(g="Leila", s="Nasser", dept="Research", title="Research Scientist", office=MUC, recent="bad:too_many_emails"),
]

SERVICE_ACCOUNTS = [
    dict(upn="svc.scanner@" + DOMAIN, name="Scanner Service"),
    dict(upn="svc.backup@" + DOMAIN, name="Backup Service"),
    dict(upn="emergency.admin@" + DOMAIN, name="Emergency Access Admin"),
]

FORMER_EMPLOYEES = [("Hannah", "Schultz", "Research", "Research Scientist"),
                    ("Victor", "Almeida", "Sales", "Account Executive")]

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
COLORS = ["Blue", "Green", "Red", "Purple", "Orange", "Teal", "Yellow", "Black", "Navy", "Magenta", "Gray"]


# ----------------------------------------------------------------------------------------------------------
# Build the people
# ----------------------------------------------------------------------------------------------------------

def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def office_culture(office):
    return {"US": "us", "GB": "gb", "DE": "de", "IN": "in", "AU": "au"}[OFFICES[office]["usage"]]


def rand_date(rng, start, end):
    return start + timedelta(days=rng.randrange((end - start).days + 1))


class Builder:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.phones = Phones(self.rng)
        self.people = []          # in tree order
        self.names_used = {(sp["g"], sp["s"]) for sp in SPECIALS} | {("Olivia", "Brennan")}
        self.upns = set()

    def draw_name(self, office):
        rng = self.rng
        weights = sorted(CULTURE_WEIGHTS[office_culture(office)].items())
        for _ in range(1000):
            culture = weighted(rng, weights)
            given, surnames = POOLS[culture]
            g, s = rng.choice(given), rng.choice(surnames)
            if (g, s) not in self.names_used and not (g == "Wei" and s == "Zhang"):
                return g, s, culture
        raise RuntimeError("names exhausted")

    def make_upn(self, g, s, culture):
        german = culture == "de"
        base = upn_part(g, german) + "." + upn_part(s, german)
        upn, n = base + "@" + DOMAIN, 2
        while upn in self.upns:
            upn, n = "%s%d@%s" % (base, n, DOMAIN), n + 1
        self.upns.add(upn)
        return upn

    def person(self, g, s, culture, dept, title, office, manager, level, spec=None):
        spec = spec or {}
        self.names_used.add((g, s))
        upn = spec.get("upn") or self.make_upn(g, s, culture)
        p = dict(spec=spec, given=g, surname=s, upn=upn, dept=dept, title=title, office=office,
                 manager=manager, level=level, key=spec.get("key"))
        self.people.append(p)
        return p

    def build_tree(self, dept, node, manager, level):
        rng = self.rng
        g, s, c = self.draw_name(node["office"])
        mgr = self.person(g, s, c, dept, node["title"], node["office"], manager, level)
        mgr["is_manager"] = True
        mgr["node"] = node
        for i in range(node["n"]):
            title = weighted(rng, node["ics"])
            office = node["office"] if rng.random() < 0.85 else rng.choice([SEA4, SEA7, NYC, LON])
            g, s, c = self.draw_name(office)
            self.person(g, s, c, dept, title, office, mgr, level + 1)
        for kid in node["kids"]:
            self.build_tree(dept, kid, mgr, level + 1)
        return mgr

    def build(self):
        rng = self.rng
        ceo = self.person("Olivia", "Brennan", "gb", "Executive", "Chief Executive Officer", SEA4, None, 0,
                          dict(key="ceo"))
        ceo["is_manager"] = True
        for title in ["Chief of Staff", "Executive Assistant"]:
            g, s, c = self.draw_name(SEA4)
            self.person(g, s, c, "Executive", title, SEA4, ceo, 1)
        heads = {}
        for dept, node in ORG.items():
            heads[dept] = self.build_tree(dept, node, ceo, 1)
        # place the specials under the best-matching team of their department
        for spec in SPECIALS:
            mgr = self.team_for(spec["dept"], spec["office"], spec["title"])
            culture = "de" if spec["office"] == MUC else office_culture(spec["office"])
            p = self.person(spec["g"], spec["s"], culture, spec["dept"], spec["title"], spec["office"], mgr,
                            mgr["level"] + 1, spec)
        # service accounts, "owned" by the first IT Manager
        it_mgr = next(p for p in self.people if p["title"] == "IT Manager")
        for sa in SERVICE_ACCOUNTS:
            p = dict(spec=dict(service=True), given=None, surname=None, upn=sa["upn"], display=sa["name"],
                     dept=None, title=None, office=None, manager=it_mgr, level=it_mgr["level"] + 1, key=None)
            self.upns.add(sa["upn"])
            self.people.append(p)
        return ceo

    def team_for(self, dept, office, title):
        mgrs = [p for p in self.people if p.get("is_manager") and p["dept"] == dept and p["node"]["n"] > 0]
        for m in mgrs:
            if m["office"] == office and any(t == title for t, _ in m["node"]["ics"]):
                return m
        for m in mgrs:
            if m["office"] == office:
                return m
        for m in mgrs:
            if any(t == title for t, _ in m["node"]["ics"]):
                return m
        return mgrs[0]


def finish_people(b):
    """Entra attributes, hire dates, employee ids, flags, and the per-person HR record."""
    rng = b.rng
    people = b.people
    humans = [p for p in people if not p["spec"].get("service")]

    # hire dates
    for p in humans:
        sp = p["spec"]
        if p.get("key") == "ceo":
            d = date(2012, 3, 5)
        elif p["level"] == 1 and p.get("is_manager"):
            d = rand_date(rng, date(2013, 1, 7), date(2021, 6, 30))
        elif p.get("is_manager"):
            d = rand_date(rng, date(2014, 1, 6), date(2024, 6, 30))
        elif sp.get("recent"):
            d = rand_date(rng, date(2026, 9, 14), date(2026, 10, 26))
        else:
            d = rand_date(rng, date(2014, 6, 2), date(2026, 8, 28))
        while d.weekday() >= 5:        # start on a working day
            d += timedelta(days=1)
        p["hire"] = d

    # pick random people for the story groups (never the specials, never managers)
    def pool(pred):
        return [p for p in humans if not p["spec"] and not p.get("is_manager") and pred(p)]

    eligible = pool(lambda p: p["hire"] < date(2026, 9, 1))
    rng.shuffle(eligible)
    taken = set()

    def take(n, pred=lambda p: True):
        out = []
        for p in eligible:
            if id(p) not in taken and pred(p):
                out.append(p)
                taken.add(id(p))
                if len(out) == n:
                    break
        return out

    # random extra recent hires (no item, not in the export)
    for p in take(11):
        p["spec"] = dict(recent="quiet")
        p["hire"] = rand_date(rng, date(2026, 9, 14), date(2026, 11, 16))
        while p["hire"].weekday() >= 5:
            p["hire"] += timedelta(days=1)
    for p in take(11, lambda p: p["title"] in PROMOTIONS):
        p["spec"] = dict(case="A", hr_title=PROMOTIONS[p["title"]], random=True)
    for p in take(2, lambda p: p["title"] not in ("",)):
        p["spec"] = dict(case="C", hr_title="OMIT", random=True)
    for p in take(2):
        p["spec"] = dict(case="E", entra_title_null=True, random=True)
    for p in take(1):
        p["spec"] = dict(case="E", entra_dept_null=True, random=True)
    for p in take(2):
        p["spec"] = dict(contractor=True, no_mailbox=True, random=True)
    for p in take(1):
        p["spec"] = dict(contractor=True, disabled=True, random=True)
    contractors = take(18)
    for p in contractors:
        p["contractor"] = True

    # employee ids in hire order
    order = sorted(humans, key=lambda p: (p["hire"], p["upn"]))
    n = 10000
    for p in order:
        n += rng.randint(1, 23)
        p["employeeId"] = "E%d" % n

    for p in people:
        sp = p["spec"]
        p["contractor"] = bool(p.get("contractor") or sp.get("contractor"))
        p["service"] = bool(sp.get("service"))
        p["hasMailbox"] = not (sp.get("no_mailbox") or p["service"])
        p["enabled"] = not sp.get("disabled")
        p["recent"] = bool(sp.get("recent"))
        if p["service"]:
            continue
        o = OFFICES[p["office"]]
        p["company"] = "Contoso Research GmbH" if (p["dept"] == "Research" and p["office"] == MUC) else "Contoso Ltd."
        p["business"] = [] if rng.random() < 0.05 else [b.phones.business(p["office"])]
        no_mobile = rng.random() < 0.1 and not sp.get("hr_mobile_changed")
        p["mobile"] = None if no_mobile else b.phones.mobile(p["office"])
        p["display"] = p["given"] + " " + p["surname"]
        nskills = 0 if rng.random() < 0.08 else rng.randint(2, 5)
        dept_for_skills = sp.get("hr_dept") or p["dept"]
        names = rng.sample(SKILLS[dept_for_skills], min(nskills, len(SKILLS[dept_for_skills])))
        p["skills"] = [(nm, rng.choice(PROFICIENCIES[1:])) for nm in names]
        # GmbH staff keep their old @contoso-research.de address as a second one
        p["other_emails"] = []
        if p["company"] == "Contoso Research GmbH" and rng.random() < 0.6:
            p["other_emails"] = ["%s.%s@contoso-research.de" % (upn_part(p["given"], True), upn_part(p["surname"], True))]
        p["hr_mobile"] = p["mobile"]
        if sp.get("hr_mobile_changed"):
            p["hr_mobile"] = b.phones.mobile(p["office"])


# ----------------------------------------------------------------------------------------------------------
# Serialisation helpers
# ----------------------------------------------------------------------------------------------------------

def dump_json(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def compact(obj):
    """How the Rust sync (serde_json) writes an entity: compact, UTF-8 as is."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def compact_dotnet(obj):
    """How the 2025 C# sample (System.Text.Json, default encoder) writes an entity: non-ASCII and HTML-sensitive
    characters as uppercase \\uXXXX escapes."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    s = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), s)
    for ch, esc in (("'", "\\u0027"), ("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"), ("+", "\\u002B")):
        s = s.replace(ch, esc)
    return s


# ----------------------------------------------------------------------------------------------------------
# The files
# ----------------------------------------------------------------------------------------------------------

def build_all():
    b = Builder()
    b.build()
    finish_people(b)
    people = b.people
    rng = b.rng
    for p in people:
        p["id"] = gid("user", p["upn"])
    tenant_id = gid("tenant", DOMAIN)
    admin = next(p for p in people if p.get("key") == "admin")

    files = {}

    # ---- tenant.json
    files["tenant.json"] = dump_json({
        "tenantId": tenant_id,
        "defaultDomain": DOMAIN,
        "displayName": "Contoso",
        "appClientId": gid("app", "peoplectl demo"),
        "appDisplayName": "peoplectl demo",
        "appRoles": ["ExternalConnection.ReadWrite.OwnedBy", "ExternalItem.ReadWrite.OwnedBy",
                     "PeopleSettings.ReadWrite.All", "User.Read.All"],
        "adminUpn": admin["upn"],
        "createdDateTime": BASE_TIME,
    })

    # ---- users.json
    users = []
    for p in people:
        sp = p["spec"]
        if p["service"]:
            users.append({
                "id": p["id"], "userPrincipalName": p["upn"], "displayName": p["display"], "givenName": None,
                "surname": None, "mail": None, "jobTitle": None, "department": None, "companyName": None,
                "officeLocation": None, "employeeId": None, "employeeType": None, "employeeHireDate": None,
                "businessPhones": [], "mobilePhone": None, "city": None, "state": None, "country": None,
                "usageLocation": "US", "preferredLanguage": None, "accountEnabled": True,
                "managerId": p["manager"]["id"], "hasMailbox": False,
            })
            continue
        o = OFFICES[p["office"]]
        users.append({
            "id": p["id"],
            "userPrincipalName": p["upn"],
            "displayName": p["display"],
            "givenName": p["given"],
            "surname": p["surname"],
            "mail": p["upn"],
            "jobTitle": None if sp.get("entra_title_null") else p["title"],
            "department": None if sp.get("entra_dept_null") else p["dept"],
            "companyName": p["company"],
            "officeLocation": p["office"],
            "employeeId": p["employeeId"],
            "employeeType": "Contractor" if p["contractor"] else "Employee",
            "employeeHireDate": p["hire"].isoformat() + "T00:00:00Z",
            "businessPhones": p["business"],
            "mobilePhone": p["mobile"],
            "city": o["city"],
            "state": o["state"],
            "country": o["country"],
            "usageLocation": o["usage"],
            "preferredLanguage": o["lang"],
            "accountEnabled": p["enabled"],
            "managerId": p["manager"]["id"] if p["manager"] else None,
            "hasMailbox": p["hasMailbox"],
        })
    files["users.json"] = dump_json(users)

    # ---- profile sources + precedence
    def src(source_id, name, kind, url, loc=False):
        return {"id": gid("profileSource", source_id), "sourceId": source_id, "displayName": name, "kind": kind,
                "webUrl": url,
                "localizations": [{"displayName": name, "webUrl": url, "languageTag": "en-us"}] if loc else []}

    files["profile_sources.json"] = dump_json([
        src(ENTRA_SOURCE_ID, "Microsoft Entra ID", "MSEntra", "https://login.microsoftonline.com", loc=True),
        src(ORGDATA_SOURCE_ID, "Organizational data in Microsoft 365", "OrganizationalDataInMicrosoft365",
            "https://admin.microsoft.com"),
        src("contosohr", "Contoso HR (Workday)", "Workday", "https://wd5.myworkday.com/contoso"),
        src("talentlegacy", "Talent Hub", "TalentHub", "https://talent.contoso.com"),
        src("oldpayroll", "Payroll 2019", "ADP", "https://payroll.contoso.com"),
    ])
    v1 = "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='%s')"
    beta = "https://graph.microsoft.com/beta/admin/people/profileSources(sourceId='%s')"
    files["profile_property_settings.json"] = dump_json([{
        "id": "00000000-0000-0000-0000-000000000001",
        "name": None,
        "displayName": None,
        "prioritizedSourceUrls": [v1 % "contosohr", v1 % ENTRA_SOURCE_ID, beta % "talentlegacy",
                                  v1 % ORGDATA_SOURCE_ID, v1 % "benefitsportal", v1 % "oldpayroll"],
    }])

    # ---- contosohr (current labels contract)
    def prop(name, typ, labels=(), description=None, searchable=False, queryable=False, retrievable=True,
             refinable=False):
        d = {"name": name, "type": typ}
        if description is not None:
            d["description"] = description
        d.update({"isSearchable": searchable, "isQueryable": queryable, "isRetrievable": retrievable,
                  "isRefinable": refinable, "labels": list(labels)})
        return d

    everyone = [{"type": "everyone", "value": tenant_id, "accessType": "grant"}]
    by_upn = {p["upn"]: p for p in people}

    def hr_record(p):
        """What Workday holds for p (the seeded item and tonight's export row are both built from this)."""
        sp = p["spec"]
        hr_title = sp.get("hr_title", p["title"])
        return dict(
            employeeId=p["employeeId"], email=p["upn"], first=p["given"], last=p["surname"],
            jobTitle=None if hr_title == "OMIT" else hr_title,
            department=sp.get("hr_dept") or p["dept"],
            office=p["office"], company=p["company"],
            employeeType="Contractor" if p["contractor"] else "Employee",
            costCenter=COST_CENTERS[sp.get("hr_dept") or p["dept"]],
            hireDate=p["hire"].isoformat(),
            manager=p["manager"]["upn"] if p["manager"] else None,
            mobile=p["hr_mobile"], work=p["business"][0] if p["business"] else None,
            otherEmails=list(p["other_emails"]), skills=list(p["skills"]),
        )

    def hr_item(p, r):
        detail = {}
        if r["jobTitle"] is not None:
            detail["jobTitle"] = r["jobTitle"]
        detail["employeeId"] = r["employeeId"]
        detail["employeeType"] = r["employeeType"]
        detail["startMonthYear"] = r["hireDate"]
        detail["company"] = {"displayName": r["company"], "department": r["department"],
                             "officeLocation": r["office"], "costCenter": r["costCenter"]}
        position = {"detail": detail, "isCurrent": True}
        if r["manager"]:
            m = by_upn[r["manager"]]
            position["manager"] = {"userPrincipalName": m["upn"], "displayName": m["display"]}
        props = {
            "accountInformation": compact({"userPrincipalName": r["email"]}),
            "position": compact(position),
            "emails@odata.type": "Collection(String)",
            "emails": [compact({"address": r["email"], "type": "work"})]
            + [compact({"address": a, "type": "other"}) for a in r["otherEmails"]],
        }
        phones = []
        if r["mobile"]:
            phones.append(compact({"number": r["mobile"], "type": "mobile"}))
        if r["work"]:
            phones.append(compact({"number": r["work"], "type": "business"}))
        if phones:
            props["phones@odata.type"] = "Collection(String)"
            props["phones"] = phones
        if r["skills"]:
            props["skills@odata.type"] = "Collection(String)"
            props["skills"] = [compact({"displayName": n, "proficiency": lvl} if SKILL_PROFICIENCY_IN_ITEMS
                                       else {"displayName": n}) for n, lvl in r["skills"]]
        props["costCenter"] = r["costCenter"]
        title = r["jobTitle"] or p["title"]
        bio = "%s, %s in %s at %s, %s. With Contoso since %s %d." % (
            p["display"], title, r["department"], r["company"], OFFICES[p["office"]]["city"],
            MONTHS[p["hire"].month - 1], p["hire"].year)
        return {"id": item_id_for_upn(p["upn"]), "acl": everyone, "properties": props,
                "content": {"type": "text", "value": bio}}

    hr_people = [p for p in people
                 if not p["service"] and p["enabled"] and not p["recent"]
                 and (p["hasMailbox"] or p["spec"].get("case") == "G")]
    hr_records = {p["upn"]: hr_record(p) for p in hr_people}
    contosohr = {
        "connection": {"id": "contosohr", "name": "Contoso HR (Workday)",
                       "description": "Worker profiles from Workday, pushed nightly by peoplectl sync.",
                       "contentCategory": "people", "state": "ready",
                       "configuration": {"authorizedAppIds": []}},
        "schema": {"baseType": "microsoft.graph.externalItem", "properties": [
            prop("accountInformation", "string", ["personAccount"]),
            prop("position", "string", ["personCurrentPosition"]),
            prop("emails", "stringCollection", ["personEmails"]),
            prop("phones", "stringCollection", ["personPhones"]),
            prop("skills", "stringCollection", ["personSkills"]),
            prop("note", "string", ["personNote"]),
            prop("costCenter", "string", description="Workday cost center code of the worker's department, "
                 "e.g. CC1100 (Engineering).", queryable=True),
        ]},
        "operation": {"id": gid("operation", "contosohr", "schema"), "status": "completed", "error": None},
        "items": [hr_item(p, hr_records[p["upn"]]) for p in hr_people],
    }

    # ---- talentlegacy (2025 preview contract)
    talent_people = [by_upn[p["upn"]] for p in people if p["spec"].get("talent")]
    pool = [p for p in hr_people if not p["spec"]]
    rng.shuffle(pool)
    talent_people += pool[:100 - len(talent_people) - len(FORMER_EMPLOYEES)]
    talent_people.sort(key=lambda p: p["upn"])
    talent_acl = [{"accessType": "grant", "type": "everyone", "value": "EVERYONE"}]

    def talent_item(upn, oid, title, dept, skills, color, seed_exact=False):
        props = {
            "accounts": compact_dotnet([{"userPrincipalName": upn, "externalDirectoryObjectId": oid}]),
            "positions": compact_dotnet([{"detail": {"jobTitle": title, "company": {"department": dept}},
                                          "isCurrent": True}]),
        }
        if skills and not seed_exact:
            props["skills"] = compact_dotnet([{"displayName": n, "proficiency": lvl} for n, lvl in skills])
        props["favoriteColor"] = color
        return {"id": item_id_for_upn(upn), "acl": talent_acl, "properties": props,
                "content": {"type": "text", "value": "Talent Hub profile of %s." % upn}}

    talent_items = []
    for p in talent_people:
        sp = p["spec"]
        t = sp.get("talent")
        if t == "seed":        # the Microsoft sample's own person, value for value
            talent_items.append(talent_item(p["upn"], p["id"], "Software Engineer", "Engineering", [], "Blue",
                                            seed_exact=True))
            continue
        if t and t not in ("stale", "seed"):
            title = t
        elif t == "stale" or rng.random() < 0.3:
            title = DEMOTIONS.get(p["title"], p["title"])
        else:
            title = p["title"]
        skills = rng.sample(SKILLS[p["dept"]], rng.randint(1, 3))
        talent_items.append(talent_item(p["upn"], p["id"], title, p["dept"],
                                        [(n, rng.choice(PROFICIENCIES)) for n in skills], rng.choice(COLORS)))
    for g, s, dept, title in FORMER_EMPLOYEES:
        upn = "%s.%s@%s" % (g.lower(), s.lower(), DOMAIN)
        talent_items.append(talent_item(upn, gid("deleted-user", upn), title, dept,
                                        [(rng.choice(SKILLS[dept]), "generalProfessional")], rng.choice(COLORS)))
    talentlegacy = {
        "connection": {"id": "talentlegacy", "name": "Talent Hub",
                       "description": "Positions and skills from the legacy Talent Hub (connector built on the 2025 preview sample).",
                       "state": "ready", "configuration": {"authorizedAppIds": []}},
        "schema": {"baseType": "microsoft.graph.externalItem", "properties": [
            prop("accounts", "string", retrievable=False),
            prop("positions", "string", retrievable=False),
            prop("skills", "string", retrievable=False),
            prop("favoriteColor", "string", retrievable=False),
        ]},
        "operation": {"id": gid("operation", "talentlegacy", "schema"), "status": "completed", "error": None},
        "items": talent_items,
    }

    learning = {
        "connection": {"id": "learningpeople", "name": "Learning Portal people",
                       "description": "Course completions and certifications from the Learning Portal.",
                       "contentCategory": "people", "state": "draft", "configuration": {"authorizedAppIds": []}},
        "schema": None,
        "operation": {"id": gid("operation", "learningpeople", "schema"), "status": "failed",
                      "error": {"code": "InvalidSchema",
                                "message": "Property 'manager' uses label 'personManager', which people connectors "
                                           "do not support."}},
        "items": [],
    }

    wiki_pages = [
        ("expense-policy", "Expense policy",
         "How to file expenses, per-diem rates by country, and what needs a receipt. Submit within 30 days."),
        ("vpn-setup", "Setting up the VPN",
         "Install the Contoso VPN client from Company Portal, sign in with your work account, pick the nearest gateway."),
        ("onboarding-checklist", "New starter checklist",
         "First-week checklist: laptop pickup, security training, benefits enrolment, meet your onboarding buddy."),
        ("travel-booking", "Booking business travel",
         "Book flights and hotels through the travel portal. Economy for flights under six hours."),
        ("brand-guidelines", "Brand guidelines",
         "Logo usage, colour palette, typography and tone of voice for everything that carries the Contoso name."),
    ]
    wiki = {
        "connection": {"id": "wikiknowledge", "name": "Contoso Wiki",
                       "description": "Pages from the internal Contoso wiki.", "contentCategory": "knowledgeBase",
                       "state": "ready", "configuration": {"authorizedAppIds": []}},
        "schema": {"baseType": "microsoft.graph.externalItem", "properties": [
            prop("title", "string", ["title"], searchable=True, queryable=True),
            prop("url", "string", ["url"]),
            prop("body", "string", searchable=True, retrievable=True),
        ]},
        "operation": {"id": gid("operation", "wikiknowledge", "schema"), "status": "completed", "error": None},
        "items": [{"id": "page%d" % (1001 + i), "acl": everyone,
                   "properties": {"title": t, "url": "https://wiki.contoso.com/pages/" + slug, "body": body},
                   "content": {"type": "text", "value": t + ". " + body}}
                  for i, (slug, t, body) in enumerate(wiki_pages)],
    }

    conns = [("contosohr.json", contosohr), ("talentlegacy.json", talentlegacy),
             ("learningpeople.json", learning), ("wikiknowledge.json", wiki)]
    files["connections/index.json"] = dump_json([name for name, _ in conns])
    for name, c in conns:
        files["connections/" + name] = dump_json(c)

    # ---- hr-export.csv
    header = ["Employee ID", "Email", "First Name", "Last Name", "Job Title", "Department", "Office", "Company",
              "Employee Type", "Cost Center", "Hire Date", "Manager Email", "Mobile", "Work Phone", "Other Emails",
              "Skills"]

    def row(r):
        return [r["employeeId"], r["email"], r["first"], r["last"], r["jobTitle"] or "", r["department"],
                r["office"], r["company"], r["employeeType"], r["costCenter"], r["hireDate"], r["manager"] or "",
                r["mobile"] or "", r["work"] or "", ";".join(r["otherEmails"]), ";".join(n for n, _ in r["skills"])]

    rows = []          # (employeeId sort key, kind, cells)
    changed = []
    for p in hr_people:
        r = dict(hr_records[p["upn"]])
        ch = p["spec"].get("csv_change")
        if ch:
            r["jobTitle"] = ch.get("title", r["jobTitle"])
            if "dept" in ch:
                r["department"] = ch["dept"]
                r["costCenter"] = COST_CENTERS[ch["dept"]]
            changed.append(p)
        rows.append([r["employeeId"], "changed" if ch else "same", row(r), p["upn"]])
    bad_specs = {}
    for p in people:
        rec = p["spec"].get("recent")
        if rec == "csvnew":
            r = hr_record(p)
            r["skills"] = r["skills"][:3]
            rows.append([r["employeeId"], "new", row(r), p["upn"]])
        elif rec and rec.startswith("bad:"):
            bad_specs[rec[4:]] = p
    rows.sort(key=lambda x: x[0])

    def bad(kind, p, mutate):
        r = hr_record(p)
        mutate(r)
        return [r["employeeId"], "bad:" + kind, row(r), p["upn"] if p else None]

    def m_missing(r):
        r["email"] = ""

    def m_malformed(r):
        r["email"] = r["email"].replace("@", ".")

    def m_date(r):
        r["hireDate"] = "2026-13-45"

    def m_emails(r):
        g, s = upn_part(r["first"], True), upn_part(r["last"], True)
        r["otherEmails"] = ["%s.%s@contoso-research.de" % (g, s), "%s%s@contoso-research.de" % (g[0], s),
                            "%s.%s@contoso.onmicrosoft.com" % (g, s)]

    # a duplicate: an earlier person's email again, with a different title and office
    dup_src = next(x for x in rows[40:] if x[1] == "same" and not by_upn[x[3]]["spec"]
                   and by_upn[x[3]]["office"] == NYC)
    dup_person = by_upn[dup_src[3]]

    def m_dup(r):
        r.update(hr_records[dup_person["upn"]])
        r["jobTitle"] = PROMOTIONS.get(r["jobTitle"], r["jobTitle"] + " (acting)")
        r["office"] = SEA7

    nobody = dict(spec={}, given="Pat", surname="Nobody", upn="nobody@" + DOMAIN, dept="Sales",
                  title="Account Executive", office=NYC, manager=dup_person["manager"], employeeId="E99999",
                  company="Contoso Ltd.", contractor=False, hire=date(2026, 10, 5), hr_mobile=None,
                  business=[], other_emails=[], skills=[("Negotiation", "generalProfessional")])

    inserts = [  # (position in the row list, bad row); positions are spread through the file
        (57, bad("missing_email", bad_specs["missing_email"], m_missing)),
        (118, bad("malformed_email", bad_specs["malformed_email"], m_malformed)),
        (201, bad("duplicate_email", dup_person, m_dup)),
        (244, bad("unknown_person", nobody, lambda r: None)),
        (286, bad("bad_date", bad_specs["bad_date"], m_date)),
        (303, bad("too_many_emails", bad_specs["too_many_emails"], m_emails)),
    ]
    for pos, r in inserts:
        rows.insert(pos, r)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(r[2])
    files["hr-export.csv"] = out.getvalue()
    csv_lines = {}
    for i, r in enumerate(rows):
        csv_lines.setdefault(r[1], []).append((i + 2, r[3], r[2]))

    files["hr-mapping.toml"] = HR_MAPPING

    # ---- profile_edits.json: what people wrote through the profile API (the `user` source).
    # Ordinary people (no story of their own, not in Talent Hub), so the stories above stay as told.
    talent_upns = {p["upn"] for p in talent_people}
    busy = talent_upns | {dup_person["upn"]} | {c[0]["upn"] if isinstance(c, tuple) else c["upn"] for c in changed}
    plain = sorted((p for p in hr_people if not p["spec"] and p["upn"] not in busy and p["hasMailbox"]),
                   key=lambda p: p["upn"])
    title_editor, full_profiles = plain[0], plain[1:4]
    edits = [{
        "id": gid("profileEdit", title_editor["upn"], "positions"),
        "userPrincipalName": title_editor["upn"],
        "collection": "positions",
        "allowedAudiences": "organization",
        "entity": {"detail": {"jobTitle": "Chief Happiness Officer"}, "isCurrent": True},
    }]

    def facets_for(p):
        city = OFFICES[p["office"]]["city"]
        first = p["given"].lower()
        return [
            ("addresses", {"displayName": "Home", "detail": {"type": "home", "city": city,
                                                            "countryOrRegion": OFFICES[p["office"]]["country"]}}),
            ("anniversaries", {"type": "birthday", "date": "1990-%02d-%02d" % (p["hire"].month, p["hire"].day)}),
            ("awards", {"displayName": "Contoso Quarterly Star", "issuingAuthority": "Contoso",
                        "issuedDate": "2025-03-31"}),
            ("certifications", {"displayName": "Azure Fundamentals", "issuingCompany": "Microsoft",
                                "certificationId": "AZ-900-%s" % p["employeeId"], "issuedDate": "2024-05-14"}),
            ("educationalActivities", {"institution": {"displayName": "University of %s" % city},
                                       "program": {"displayName": "BSc", "fieldsOfStudy": p["dept"]},
                                       "completionMonthYear": "2015-06-01"}),
            ("interests", {"displayName": "Cycling", "categories": ["Sports"]}),
            ("languages", {"displayName": "English", "tag": "en", "proficiency": "fullProfessional",
                           "reading": "fullProfessional", "spoken": "fullProfessional",
                           "written": "professionalWorking"}),
            ("notes", {"displayName": "About me", "detail": {"contentType": "text",
                                                            "content": "Ask me about %s." % p["dept"].lower()}}),
            ("patents", {"displayName": "Method for composing profiles", "number": "US-%s" % p["employeeId"][1:],
                         "isPending": True}),
            ("projects", {"displayName": "Project Aurora", "detail": {"jobTitle": p["title"]},
                          "client": {"displayName": "Contoso"}}),
            ("publications", {"displayName": "Notes from %s" % city, "publisher": "Contoso Press",
                              "publishedDate": "2024-11-01"}),
            ("skills", {"displayName": "Public speaking", "proficiency": "generalProfessional"}),
            ("webAccounts", {"service": {"name": "GitHub", "webUrl": "https://github.com"},
                             "userId": "%s-contoso" % first, "webUrl": "https://github.com/%s-contoso" % first}),
            ("websites", {"displayName": "Blog", "webUrl": "https://blog.contoso.com/%s" % first}),
        ]

    for p in full_profiles:
        for collection, entity in facets_for(p):
            edits.append({"id": gid("profileEdit", p["upn"], collection), "userPrincipalName": p["upn"],
                          "collection": collection, "allowedAudiences": "organization", "entity": entity})
    files["profile_edits.json"] = dump_json(edits)

    ctx = dict(people=people, by_upn=by_upn, hr_people=hr_people, hr_records=hr_records,
               talent_people=talent_people, csv_lines=csv_lines, changed=changed, dup_person=dup_person,
               tenant_id=tenant_id, admin=admin)
    return files, ctx


HR_MAPPING = '''[key]
column = "Email"             # the column that identifies the person
kind = "userPrincipalName"   # or "objectId"

[position]                   # workPosition.detail / company fields, by column
jobTitle = "Job Title"
department = "Department"
officeLocation = "Office"
companyName = "Company"
employeeId = "Employee ID"
employeeType = "Employee Type"
costCenter = "Cost Center"
startMonthYear = "Hire Date" # YYYY-MM-DD
manager = "Manager Email"    # workPosition.manager.userPrincipalName

[emails]                     # itemEmail by type; a value may hold several addresses separated by ';'
work = "Email"
other = "Other Emails"

[phones]                     # itemPhone by type
mobile = "Mobile"
business = "Work Phone"

[skills]                     # skillProficiency.displayName, one per separated value
column = "Skills"
separator = ";"

[custom]                     # unlabelled schema properties: property name = column
costCenter = "Cost Center"
'''


# ----------------------------------------------------------------------------------------------------------
# Self-check: the invariants the emulator and the tests rely on
# ----------------------------------------------------------------------------------------------------------

GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
EMAIL_RE = re.compile(r"^[^@\s;]+@[^@\s;]+\.[a-z]+$")


def check(files, ctx):
    J = {k: json.loads(v) for k, v in files.items() if k.endswith(".json")}
    for k, v in files.items():
        if k.endswith(".json"):
            assert dump_json(J[k]) == v, "%s is not canonical pretty JSON" % k
    tenant, users = J["tenant.json"], J["users.json"]
    tid = tenant["tenantId"]
    assert GUID_RE.match(tid) and GUID_RE.match(tenant["appClientId"])
    assert tenant["createdDateTime"] == BASE_TIME

    # users
    assert len(users) >= 300, len(users)
    ids = [u["id"] for u in users]
    assert len(set(ids)) == len(ids) and all(GUID_RE.match(i) for i in ids)
    upns = [u["userPrincipalName"] for u in users]
    assert len(set(u.lower() for u in upns)) == len(upns), "duplicate UPN"
    by_id = {u["id"]: u for u in users}
    by_upn = {u["userPrincipalName"]: u for u in users}
    assert sum(1 for u in users if u["userPrincipalName"] == tenant["adminUpn"]) == 1
    keys = ["id", "userPrincipalName", "displayName", "givenName", "surname", "mail", "jobTitle", "department",
            "companyName", "officeLocation", "employeeId", "employeeType", "employeeHireDate", "businessPhones",
            "mobilePhone", "city", "state", "country", "usageLocation", "preferredLanguage", "accountEnabled",
            "managerId", "hasMailbox"]
    emp_ids = set()
    for u in users:
        assert list(u) == keys, u["userPrincipalName"]
        assert re.fullmatch(r"[a-z0-9.-]+@contoso\.com", u["userPrincipalName"]), u["userPrincipalName"]
        assert u["managerId"] is None or u["managerId"] in by_id
        if u["mail"] is not None:
            assert u["mail"] == u["userPrincipalName"]
        if u["employeeId"] is not None:
            assert re.fullmatch(r"E\d{5}", u["employeeId"]) and u["employeeId"] not in emp_ids
            emp_ids.add(u["employeeId"])
            assert u["employeeType"] in ("Employee", "Contractor")
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00Z", u["employeeHireDate"])
            for ph in u["businessPhones"] + ([u["mobilePhone"]] if u["mobilePhone"] else []):
                cc = {"US": "+1 ", "GB": "+44 ", "DE": "+49 ", "IN": "+91 ", "AU": "+61 "}[u["usageLocation"]]
                assert ph.startswith(cc), (u["userPrincipalName"], ph)
        for k in ("displayName", "givenName", "surname", "jobTitle", "department"):
            if u[k] is not None:
                assert u[k] == u[k].strip() and u[k] != ""
    roots = [u for u in users if u["managerId"] is None]
    assert len(roots) == 1 and roots[0]["jobTitle"] == "Chief Executive Officer"
    for u in users:                                  # no cycles: every chain reaches the CEO
        seen, cur = set(), u
        while cur["managerId"] is not None:
            assert cur["id"] not in seen, "cycle at " + u["userPrincipalName"]
            seen.add(cur["id"])
            cur = by_id[cur["managerId"]]
        assert cur is roots[0]
    assert 1 <= sum(1 for u in users if not u["accountEnabled"]) <= 2
    assert 3 <= sum(1 for u in users if not u["hasMailbox"]) <= 8
    assert sum(1 for u in users if u["companyName"] == "Contoso Research GmbH") >= 3
    for name in ("Zoë Müller", "Siobhán O'Brien", "Anna-Lena Schmidt-Weber"):
        assert name in {u["displayName"] for u in users}, name
    assert by_upn["zoe.mueller@contoso.com"]["displayName"] == "Zoë Müller"
    assert by_upn["siobhan.obrien@contoso.com"]["surname"] == "O'Brien"
    assert by_upn["wei.zhang2@contoso.com"]["displayName"] == by_upn["wei.zhang@contoso.com"]["displayName"]
    assert any(u["jobTitle"] is None and u["employeeId"] for u in users)
    assert any(u["department"] is None and u["employeeId"] for u in users)

    # sources and precedence
    sources = J["profile_sources.json"]
    sids = [s["sourceId"] for s in sources]
    assert sids == [ENTRA_SOURCE_ID, ORGDATA_SOURCE_ID, "contosohr", "talentlegacy", "oldpayroll"]
    assert all(GUID_RE.match(s["id"]) for s in sources) and len({s["id"] for s in sources}) == len(sources)
    assert all(list(s) == ["id", "sourceId", "displayName", "kind", "webUrl", "localizations"] for s in sources)
    assert all(s["webUrl"].startswith("https://") for s in sources)
    settings = J["profile_property_settings.json"]
    assert len(settings) == 1 and settings[0]["name"] is None and settings[0]["displayName"] is None
    urls = settings[0]["prioritizedSourceUrls"]
    url_ids = [re.fullmatch(r"https://graph\.microsoft\.com/(v1\.0|beta)/admin/people/profileSources"
                            r"\(sourceId='([^']+)'\)", x).group(2) for x in urls]
    assert url_ids == ["contosohr", ENTRA_SOURCE_ID, "talentlegacy", ORGDATA_SOURCE_ID, "benefitsportal",
                       "oldpayroll"]
    assert "/beta/" in urls[2] and all("/v1.0/" in x for i, x in enumerate(urls) if i != 2)
    assert "benefitsportal" not in sids

    # connections
    index = J["connections/index.json"]
    assert index == ["contosohr.json", "talentlegacy.json", "learningpeople.json", "wikiknowledge.json"]
    conns = {n[:-5]: J["connections/" + n] for n in index}
    assert set(k for k in files if k.startswith("connections/")) == {"connections/index.json"} | {
        "connections/" + n for n in index}
    assert not any(s in conns for s in ("oldpayroll", "benefitsportal"))
    for cid, c in conns.items():
        assert c["connection"]["id"] == cid and re.fullmatch(r"[A-Za-z0-9]{3,32}", cid)
        assert list(c) == ["connection", "schema", "operation", "items"]
        if c["schema"]:
            names = [p["name"] for p in c["schema"]["properties"]]
            assert len(set(names)) == len(names) and all(re.fullmatch(r"[A-Za-z0-9]{1,32}", n) for n in names)
            labels = [lab for p in c["schema"]["properties"] for lab in p["labels"]]
            assert len(set(labels)) == len(labels)
            assert all(p["isRetrievable"] for p in c["schema"]["properties"] if p["labels"])
        if c["operation"]:
            assert GUID_RE.match(c["operation"]["id"])
        item_ids = [i["id"] for i in c["items"]]
        assert len(set(item_ids)) == len(item_ids)
        assert all(len(i) <= 128 for i in item_ids)
        for it in c["items"]:
            assert list(it) == ["id", "acl", "properties", "content"] and it["properties"]
            assert it["content"]["type"] == "text" and it["content"]["value"]
            for k, v in it["properties"].items():
                if isinstance(v, list):
                    assert it["properties"][k + "@odata.type"] == "Collection(String)", (cid, it["id"], k)
                if k.endswith("@odata.type"):
                    assert isinstance(it["properties"][k[:-len("@odata.type")]], list)
    hr, talent, learning, wiki = (conns[k] for k in ("contosohr", "talentlegacy", "learningpeople", "wikiknowledge"))
    assert hr["connection"]["contentCategory"] == "people" and hr["connection"]["state"] == "ready"
    assert "contentCategory" not in talent["connection"] and talent["connection"]["state"] == "ready"
    assert learning["connection"]["state"] == "draft" and learning["schema"] is None and not learning["items"]
    assert learning["operation"]["status"] == "failed" and learning["operation"]["error"]["code"]
    assert wiki["connection"]["contentCategory"] == "knowledgeBase" and len(wiki["items"]) == 5
    for it in wiki["items"]:
        assert all(isinstance(v, str) and not v.startswith(("{", "[")) for v in it["properties"].values())
    schema = {p["name"]: p for p in hr["schema"]["properties"]}
    assert {n: (p["type"], p["labels"]) for n, p in schema.items()} == {
        "accountInformation": ("string", ["personAccount"]), "position": ("string", ["personCurrentPosition"]),
        "emails": ("stringCollection", ["personEmails"]), "phones": ("stringCollection", ["personPhones"]),
        "skills": ("stringCollection", ["personSkills"]), "note": ("string", ["personNote"]),
        "costCenter": ("string", [])}
    assert schema["costCenter"]["description"]
    assert [p["name"] for p in talent["schema"]["properties"]] == ["accounts", "positions", "skills", "favoriteColor"]
    assert all(p["type"] == "string" and not p["labels"] for p in talent["schema"]["properties"])

    # contosohr items
    n_users_humans = sum(1 for u in users if u["employeeId"])
    assert 0.85 * n_users_humans <= len(hr["items"]) <= 0.95 * n_users_humans, len(hr["items"])
    hr_by_upn = {}
    n_title_diff = n_empty = n_omit = n_dept_diff = 0
    for it in hr["items"]:
        p = it["properties"]
        assert it["acl"] == [{"type": "everyone", "value": tid, "accessType": "grant"}]
        acct = json.loads(p["accountInformation"])
        assert list(acct) == ["userPrincipalName"]
        u = by_upn[acct["userPrincipalName"]]
        assert it["id"] == item_id_for_upn(u["userPrincipalName"])
        hr_by_upn[u["userPrincipalName"]] = it
        pos = json.loads(p["position"])
        assert pos["isCurrent"] is True
        d = pos["detail"]
        assert d["employeeId"] == u["employeeId"] and d["company"]["officeLocation"] == u["officeLocation"]
        assert d["startMonthYear"] == u["employeeHireDate"][:10] and d["employeeType"] == u["employeeType"]
        assert d["company"]["costCenter"] == p["costCenter"]
        if u["managerId"]:
            m = by_id[u["managerId"]]
            assert pos["manager"] == {"userPrincipalName": m["userPrincipalName"], "displayName": m["displayName"]}
        else:
            assert "manager" not in pos
        if "jobTitle" not in d:
            n_omit += 1
        elif d["jobTitle"] == "":
            n_empty += 1
        elif u["jobTitle"] is not None and d["jobTitle"] != u["jobTitle"]:
            n_title_diff += 1
        if u["department"] is not None and d["company"]["department"] != u["department"]:
            n_dept_diff += 1
        emails = [json.loads(e) for e in p["emails"]]
        assert 1 <= len(emails) <= 3
        assert emails[0] == {"address": u["mail"], "type": "work"}
        assert all(e["type"] == "other" and EMAIL_RE.match(e["address"]) for e in emails[1:])
        for ph in (json.loads(x) for x in p.get("phones", [])):
            assert list(ph) == ["number", "type"] and ph["type"] in ("mobile", "business")
        if "phones" in p:
            nums = [json.loads(x)["number"] for x in p["phones"]]
            assert all(n in u["businessPhones"] + [u["mobilePhone"]] for n in nums) or \
                u["userPrincipalName"] in ("siobhan.obrien@contoso.com", "daan.vanderberg@contoso.com")
        for s in (json.loads(x) for x in p.get("skills", [])):
            assert s["displayName"] and (not SKILL_PROFICIENCY_IN_ITEMS or s["proficiency"] in PROFICIENCIES)
        assert not u["employeeId"] is None and u["accountEnabled"]
    assert 13 <= n_title_diff <= 17, n_title_diff
    assert n_empty == 3 and n_omit == 7 and n_dept_diff == 4, (n_empty, n_omit, n_dept_diff)
    alex = json.loads(hr_by_upn["alex.wilber@contoso.com"]["properties"]["position"])["detail"]["jobTitle"]
    assert alex == "Senior Software Engineer" and by_upn["alex.wilber@contoso.com"]["jobTitle"] == "Software Engineer"
    no_mbx_items = [x for x in hr_by_upn if not by_upn[x]["hasMailbox"]]
    assert no_mbx_items == ["mykola.shevchenko@contoso.com"], no_mbx_items

    # talentlegacy items
    assert 95 <= len(talent["items"]) <= 105
    unknown = []
    for it in talent["items"]:
        p = it["properties"]
        assert it["acl"] == [{"accessType": "grant", "type": "everyone", "value": "EVERYONE"}]
        assert all(isinstance(v, str) for v in p.values()) and all(ord(c) < 128 for v in p.values() for c in v)
        accts = json.loads(p["accounts"])
        assert isinstance(accts, list) and len(accts) == 1
        upn = accts[0]["userPrincipalName"]
        assert it["id"] == item_id_for_upn(upn)
        pos = json.loads(p["positions"])
        assert isinstance(pos, list) and pos[0]["isCurrent"] is True
        if "skills" in p:
            sk = json.loads(p["skills"])
            assert isinstance(sk, list) and all(s["proficiency"] in PROFICIENCIES for s in sk)
        if upn in by_upn:
            assert accts[0]["externalDirectoryObjectId"] == by_upn[upn]["id"]
        else:
            unknown.append(upn)
    assert unknown == ["hannah.schultz@contoso.com", "victor.almeida@contoso.com"], unknown
    alex_t = next(i for i in talent["items"] if i["id"] == "alex_dot_wilber_at_contoso_dot_com")["properties"]
    assert alex_t["positions"] == '[{"detail":{"jobTitle":"Software Engineer","company":{"department":"Engineering"}},"isCurrent":true}]'
    assert alex_t["favoriteColor"] == "Blue" and list(alex_t) == ["accounts", "positions", "favoriteColor"]

    # hr-export.csv
    text = files["hr-export.csv"]
    assert "\r" not in text and not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header == ["Employee ID", "Email", "First Name", "Last Name", "Job Title", "Department", "Office",
                      "Company", "Employee Type", "Cost Center", "Hire Date", "Manager Email", "Mobile",
                      "Work Phone", "Other Emails", "Skills"]
    assert text.count("\n") == len(rows), "a field holds a newline: line numbers would drift"
    assert any('"' in line for line in text.splitlines()), "no quoted field"
    lines = ctx["csv_lines"]
    bad = {k[4:]: v for k, v in lines.items() if k.startswith("bad:")}
    assert sorted(bad) == sorted(["missing_email", "malformed_email", "duplicate_email", "unknown_person",
                                  "bad_date", "too_many_emails"])
    col = {h: i for i, h in enumerate(header)}
    seen_email, valid_upns = {}, []
    for ln, r in enumerate(rows[1:], start=2):
        assert len(r) == len(header), ln
        e = r[col["Email"]]
        kinds = [k for k, v in lines.items() if any(x[0] == ln for x in v)]
        assert len(kinds) == 1
        kind = kinds[0]
        if kind == "bad:missing_email":
            assert e == ""
        elif kind == "bad:malformed_email":
            assert "@" not in e and e
        elif kind == "bad:duplicate_email":
            assert e in seen_email and seen_email[e] < ln
        elif kind == "bad:unknown_person":
            assert e == "nobody@contoso.com" and e not in by_upn
        elif kind == "bad:bad_date":
            assert r[col["Hire Date"]] == "2026-13-45" and e in by_upn
        elif kind == "bad:too_many_emails":
            assert len([x for x in r[col["Other Emails"]].split(";") if x]) == 3 and e in by_upn
        else:
            assert e in by_upn and e not in seen_email and re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[col["Hire Date"]])
            date.fromisoformat(r[col["Hire Date"]])
            assert 1 + len([x for x in r[col["Other Emails"]].split(";") if x]) <= 3
            assert r[col["Manager Email"]] == "" or r[col["Manager Email"]] in by_upn
            valid_upns.append(e)
        if e:
            seen_email.setdefault(e, ln)
    assert len(lines["changed"]) == 3 and len(lines["new"]) == 5
    assert set(valid_upns) == set(hr_by_upn) | {x[1] for x in lines["new"]}
    assert not ({x[1] for x in lines["new"]} & set(hr_by_upn))
    assert any(any(ord(c) > 127 for c in x[2][2] + x[2][3]) for x in lines["new"]), "a new non-ASCII row"
    # every unchanged row says what the item says, field by field (mapped fields only)
    for ln, upn, cells in lines["same"] + lines["changed"]:
        it = hr_by_upn[upn]["properties"]
        d = json.loads(it["position"])["detail"]
        c = dict(zip(header, cells))
        expect = {
            "Employee ID": d["employeeId"], "Job Title": d.get("jobTitle", ""),
            "Department": d["company"]["department"], "Office": d["company"]["officeLocation"],
            "Company": d["company"]["displayName"], "Employee Type": d["employeeType"],
            "Cost Center": it["costCenter"], "Hire Date": d["startMonthYear"],
            "Manager Email": json.loads(it["position"]).get("manager", {}).get("userPrincipalName", ""),
            "Other Emails": ";".join(json.loads(e)["address"] for e in it["emails"][1:]),
            "Skills": ";".join(json.loads(s)["displayName"] for s in it.get("skills", [])),
            "Mobile": next((json.loads(x)["number"] for x in it.get("phones", []) if '"mobile"' in x), ""),
            "Work Phone": next((json.loads(x)["number"] for x in it.get("phones", []) if '"business"' in x), ""),
        }
        diffs = {k for k, v in expect.items() if c[k] != v}
        if (ln, upn, cells) in lines["same"]:
            assert not diffs, (ln, upn, diffs)
        else:
            assert diffs and diffs <= {"Job Title", "Department", "Cost Center"}, (ln, upn, diffs)

    # profile edits name real people with a mailbox, and profile collections
    collections = {"account", "addresses", "anniversaries", "awards", "certifications", "educationalActivities",
                   "emails", "interests", "languages", "names", "notes", "patents", "phones", "positions",
                   "projects", "publications", "skills", "webAccounts", "websites"}
    mailbox = {u["userPrincipalName"] for u in users if u["hasMailbox"]}
    for e in J["profile_edits.json"]:
        assert e["userPrincipalName"] in mailbox and e["collection"] in collections, e
    assert len({e["id"] for e in J["profile_edits.json"]}) == len(J["profile_edits.json"])

    # the README names the bad rows by line
    readme = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    if "## Bad rows in hr-export.csv" in readme:
        section = readme.split("## Bad rows in hr-export.csv", 1)[1]
        for kind, v in bad.items():
            assert "line %d" % v[0][0] in section, "README misses bad row %s at line %d" % (kind, v[0][0])
    return True


def summary(files, ctx):
    J = {k: json.loads(v) for k, v in files.items() if k.endswith(".json")}
    users = J["users.json"]
    out = ["users: %d" % len(users)]
    for name in ("contosohr", "talentlegacy", "learningpeople", "wikiknowledge"):
        out.append("%s items: %d" % (name, len(J["connections/%s.json" % name]["items"])))
    groups = {}
    for p in ctx["people"]:
        c = p["spec"].get("case")
        if c:
            groups.setdefault(c, []).append(p)
    for c in sorted(groups):
        out.append("case %s: %s" % (c, "; ".join(
            "%s <%s> entra=%r hr=%r" % (p["display"], p["upn"], None if p["spec"].get("entra_title_null") else p["title"],
                                      p["spec"].get("hr_title", p["title"]))
            for p in groups[c])))
    for kind, v in sorted(ctx["csv_lines"].items()):
        if kind != "same":
            out.append("csv %s: %s" % (kind, ", ".join("line %d %s" % (ln, upn) for ln, upn, _ in v)))
    out.append("duplicate source: %s" % ctx["dup_person"]["upn"])
    out.append("not in tenant in talentlegacy: hannah.schultz, victor.almeida")
    out.append("no mailbox: " + ", ".join(p["upn"] for p in ctx["people"] if not p["hasMailbox"]))
    out.append("disabled: " + ", ".join(p["upn"] for p in ctx["people"] if not p["enabled"]))
    out.append("recent (no item): " + ", ".join(p["upn"] for p in ctx["people"] if p["recent"]))
    nonascii = [ln for ln, upn, cells in ctx["csv_lines"]["same"] + ctx["csv_lines"]["new"]
                if any(ord(ch) > 127 for ch in cells[2] + cells[3])]
    out.append("non-ASCII valid rows: %s" % nonascii)
    return "\n".join(out)


def main():
    files, ctx = build_all()
    again, _ = build_all()
    assert files == again, "generation is not deterministic"
    if "--check" in sys.argv[1:]:
        stale = []
        for name, text in files.items():
            path = os.path.join(HERE, name)
            if not os.path.exists(path) or open(path, encoding="utf-8", newline="").read() != text:
                stale.append(name)
        check(files, ctx)
        if stale:
            sys.exit("out of date (rerun generate.py): " + ", ".join(stale))
        print("ok: %d files match and pass the self-check" % len(files))
        return
    for name, text in files.items():
        path = os.path.join(HERE, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    check(files, ctx)
    if "--summary" in sys.argv[1:]:
        print(summary(files, ctx))
    print("wrote %d files; self-check ok" % len(files))


if __name__ == "__main__":
    main()
