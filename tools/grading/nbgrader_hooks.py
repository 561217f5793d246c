"""nbgrader's autograde step, without executing anything: ``ApplyVerdicts`` takes the place of
nbgrader's ``Execute`` preprocessor and writes the grader's verdicts (decided outside the
sandbox by ``verdicts.Reference.replay``) as the test cells' outputs. nbgrader then scores
them as usual (an error output scores 0), saves the grades in its gradebook and writes the
autograded notebook that the formgrader and the feedback pages show."""

import json
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.v4 import new_output
from traitlets import Unicode

from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                    NbGraderPreprocessor, SaveAutoGrades)


class ApplyVerdicts(NbGraderPreprocessor):
    folder = Unicode("", help="folder of STUDENT/ASSIGNMENT.json verdict files").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        assignment = resources["nbgrader"]["assignment"]
        path = Path(self.folder) / student / f"{assignment}.json"
        data = json.loads(path.read_text()) if path.exists() else {"tests": {}, "cell_errors": {}}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in data["tests"]:
                verdict = data["tests"][gid]
                cell.outputs = []
                if verdict.get("stdout"):
                    cell.outputs.append(new_output("stream", name="stdout", text=verdict["stdout"]))
                if not verdict["passed"]:
                    cell.outputs.append(new_output("error", ename=verdict["ename"], evalue=verdict["evalue"],
                                                   traceback=[f"{verdict['ename']}: {verdict['evalue']}"]))
            elif cell.get("id") in data["cell_errors"]:
                ename, evalue = data["cell_errors"][cell["id"]]
                cell.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])]
        return nb, resources


PREPROCESSORS = [ApplyVerdicts, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                 AssignLatePenalties, CheckCellMetadata]
